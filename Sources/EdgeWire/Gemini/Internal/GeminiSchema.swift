import EdgeJSON

/// Gemini's `parameters` and `responseSchema` are its OpenAPI 3.0 subset, which the google-genai SDK writes with
/// upper-case type names (`"type": "OBJECT"`) and `nullable`. Other providers take JSON Schema, whose type names
/// are lower-case and which has no `nullable`: a schema read from these fields is rewritten into JSON Schema, the
/// rest of it unchanged. (`parametersJsonSchema` and `responseJsonSchema` are JSON Schema already.)
enum GeminiSchema {
    /// `schema` (valid JSON) as JSON Schema: every `type` string lower-cased, and `"nullable": true` beside a
    /// single `type` turned into `"type": [type, "null"]`.
    static func jsonSchema(fromOpenAPI schema: [UInt8]) -> [UInt8] {
        let result = schema.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) in
                var scanner = JSONScanner(bytes)
                var output: [UInt8] = []
                output.reserveCapacity(bytes.count + 16)
                try copy(&scanner, into: &output)
                return output
            }
        }
        // The schema was validated when it was read: a failure here can only leave it as it was.
        return (try? result.get()) ?? schema
    }

    private static func copy(_ scanner: inout JSONScanner, into output: inout [UInt8]) throws(JSONScanner.Failure) {
        switch try scanner.peekKind() {
        case .object:
            try copyObject(&scanner, into: &output)
        case .array:
            output.append(UInt8(ascii: "["))
            try scanner.enterArray()
            var first = true
            while try scanner.nextElement() {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                try copy(&scanner, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        default:
            output += try scanner.readRawValue()
        }
    }

    private static func copyObject(_ scanner: inout JSONScanner, into output: inout [UInt8]) throws(JSONScanner.Failure) {
        try scanner.enterObject()
        var members: [(key: [UInt8], value: [UInt8])] = []
        var type: String?
        var nullable = false
        while let key = try scanner.nextMember() {
            let name = Array(scanner.bytes[(key.span.start - 1)..<(key.span.end + 1)])
            if key.matches("type"), try scanner.peekKind() == .string {
                type = try scanner.readString().lowercased()
                continue
            }
            if key.matches("nullable"), try scanner.peekKind() == .bool {
                nullable = try scanner.readBool()
                continue
            }
            var value: [UInt8] = []
            try copy(&scanner, into: &value)
            members.append((name, value))
        }
        output.append(UInt8(ascii: "{"))
        var first = true
        if let type {
            output += Array(#""type":"#.utf8)
            if nullable, type != "null" {
                output.append(UInt8(ascii: "["))
                output.writeJSONString(type)
                output += Array(#","null"]"#.utf8)
            } else {
                output.writeJSONString(type)
            }
            first = false
        }
        for member in members {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            output += member.key
            output.append(UInt8(ascii: ":"))
            output += member.value
        }
        output.append(UInt8(ascii: "}"))
    }
}
