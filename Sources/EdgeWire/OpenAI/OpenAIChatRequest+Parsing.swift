import EdgeJSON
import NIOCore

/// Checking a request body with ``JSONScanner`` and splicing the upstream body's tail from the client's bytes.
extension OpenAIChatRequest {
    /// Parses and checks a request body; errors name the offending field.
    public static func parse(_ bytes: some Collection<UInt8>) throws(WireError) -> OpenAIChatRequest {
        let result =
            bytes.withContiguousStorageIfAvailable { parse(buffer: $0) }
            ?? Array(bytes).withUnsafeBufferPointer { parse(buffer: $0) }
        return try result.get()
    }

    /// What a field the router reads held, found in a first walk and checked after it.
    fileprivate struct Field {
        var kind: JSONScanner.ValueKind
        var mark: JSONScanner.Mark
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> Result<OpenAIChatRequest, WireError> {
        Result { () throws(WireError) in try parse(checking: buffer) }
    }

    private static func parse(checking bytes: UnsafeBufferPointer<UInt8>) throws(WireError) -> OpenAIChatRequest {
        let notJSON = WireError("The request body is not valid JSON.")
        var scanner = JSONScanner(bytes)
        // The whole body is validated first, so a syntax error anywhere wins over a missing field.
        var model: Field?
        var messages: Field?
        var stream: Field?
        var options: Field?
        var kept: [JSONMember] = []
        do {
            switch try scanner.peekKind() {
            case .object: break
            case .array:
                try scanner.skipValue()
                try scanner.finish()
                throw WireError("The request body must be a JSON object.")
            default:
                // A bare string or number is JSON, but Foundation's parser refused it; so does the router.
                throw notJSON
            }
            kept.reserveCapacity(16)
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                let field = Field(kind: try scanner.peekKind(), mark: scanner.mark())
                try scanner.skipValue()
                switch key {
                case "model": model = field
                case "messages":
                    messages = field
                    kept.append(JSONMember(key: key.span, end: scanner.offset))
                case "stream": stream = field
                case "stream_options": options = field
                default: kept.append(JSONMember(key: key.span, end: scanner.offset))
                }
            }
            try scanner.finish()
        } catch let error as WireError {
            throw error
        } catch {
            throw notJSON
        }

        do {
            let modelName = try checkModel(model, scanner)
            try checkMessages(messages, scanner)
            let streams = try checkStream(stream, scanner)
            var optionMembers: [JSONMember] = []
            let includeUsage = try checkOptions(options, scanner, keeping: &optionMembers)

            var tail = ByteBufferAllocator().buffer(capacity: bytes.count + 64)
            for member in JSONMember.lastOccurrences(kept, in: bytes) {
                tail.writeStaticString(",")
                tail.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[member.start..<member.end])))
            }
            tail.writeStaticString(#","stream":true,"stream_options":{"#)
            for member in JSONMember.lastOccurrences(optionMembers, in: bytes) {
                tail.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[member.start..<member.end])))
                tail.writeStaticString(",")
            }
            tail.writeStaticString(#""include_usage":true}}"#)
            return OpenAIChatRequest(model: modelName, stream: streams, includeUsage: includeUsage, upstreamTail: tail)
        } catch let error as WireError {
            throw error
        } catch {
            // The body was validated above: walking it again cannot fail on syntax.
            throw notJSON
        }
    }

    private static func checkModel(_ field: Field?, _ scanner: JSONScanner) throws -> String {
        guard let field else {
            throw WireError("Missing required parameter: 'model'.", param: "model")
        }
        let invalid = WireError("'model' must be a non-empty string.", param: "model")
        guard field.kind == .string else { throw invalid }
        var value = scanner.resumed(at: field.mark)
        let name = try value.readString()
        guard !name.isEmpty else { throw invalid }
        return name
    }

    private static func checkMessages(_ field: Field?, _ scanner: JSONScanner) throws {
        guard let field else {
            throw WireError("Missing required parameter: 'messages'.", param: "messages")
        }
        let notArray = WireError("'messages' must be a non-empty array.", param: "messages")
        guard field.kind == .array else { throw notArray }
        var messages = scanner.resumed(at: field.mark)
        try messages.enterArray()
        var index = 0
        while try messages.nextElement() {
            guard try messages.peekKind() == .object else {
                throw WireError("'messages[\(index)]' must be an object.", param: "messages[\(index)]")
            }
            try messages.enterObject()
            var roleIsString = false
            while let key = try messages.nextMember() {
                if key.matches("role") { roleIsString = try messages.peekKind() == .string }
                try messages.skipValue()
            }
            guard roleIsString else {
                throw WireError(
                    "Missing required parameter: 'messages[\(index)].role'.", param: "messages[\(index)].role")
            }
            index += 1
        }
        guard index > 0 else { throw notArray }
    }

    private static func checkStream(_ field: Field?, _ scanner: JSONScanner) throws -> Bool {
        guard let field, field.kind != .null else { return false }
        guard field.kind == .bool else {
            throw WireError("'stream' must be a boolean.", param: "stream")
        }
        var value = scanner.resumed(at: field.mark)
        return try value.readBool()
    }

    /// Checks `stream_options` and returns `include_usage`; the other members are kept for the upstream body.
    private static func checkOptions(_ field: Field?, _ scanner: JSONScanner, keeping kept: inout [JSONMember]) throws -> Bool {
        guard let field, field.kind != .null else { return false }
        guard field.kind == .object else {
            throw WireError("'stream_options' must be an object.", param: "stream_options")
        }
        var options = scanner.resumed(at: field.mark)
        try options.enterObject()
        var flag: Field?
        while let key = try options.nextMember() {
            let value = Field(kind: try options.peekKind(), mark: options.mark())
            try options.skipValue()
            if key.matches("include_usage") {
                flag = value
            } else {
                kept.append(JSONMember(key: key.span, end: options.offset))
            }
        }
        guard let flag else { return false }
        guard flag.kind == .bool else {
            throw WireError(
                "'stream_options.include_usage' must be a boolean.", param: "stream_options.include_usage")
        }
        var value = scanner.resumed(at: flag.mark)
        return try value.readBool()
    }
}
