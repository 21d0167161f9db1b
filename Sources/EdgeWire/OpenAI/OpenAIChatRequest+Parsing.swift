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

    /// One member of an object, as the client wrote it (key through value, no surrounding whitespace).
    fileprivate struct Member {
        var key: JSONScanner.StringSpan
        var end: Int
        /// The opening quote of the key.
        var start: Int { key.start - 1 }
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
        var kept: [Member] = []
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
                    kept.append(Member(key: key.span, end: scanner.offset))
                case "stream": stream = field
                case "stream_options": options = field
                default: kept.append(Member(key: key.span, end: scanner.offset))
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
            var optionMembers: [Member] = []
            let includeUsage = try checkOptions(options, scanner, keeping: &optionMembers)

            var tail = ByteBufferAllocator().buffer(capacity: bytes.count + 64)
            for member in lastOccurrences(kept, in: bytes) {
                tail.writeStaticString(",")
                tail.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[member.start..<member.end])))
            }
            tail.writeStaticString(#","stream":true,"stream_options":{"#)
            for member in lastOccurrences(optionMembers, in: bytes) {
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
    private static func checkOptions(_ field: Field?, _ scanner: JSONScanner, keeping kept: inout [Member]) throws -> Bool {
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
                kept.append(Member(key: key.span, end: options.offset))
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

    /// The members whose key does not come again later: of duplicate keys the last wins, as the checks read them.
    private static func lastOccurrences(_ members: [Member], in bytes: UnsafeBufferPointer<UInt8>) -> [Member] {
        if members.count < 2 { return members }
        var shadowed: [Bool]
        if members.count <= 16 {
            // Few keys: compare each with the later ones, without allocating strings for unescaped keys.
            shadowed = Array(repeating: false, count: members.count)
            for (position, member) in members.enumerated() {
                for later in members[(position + 1)...] where sameKey(member.key, later.key, in: bytes) {
                    shadowed[position] = true
                    break
                }
            }
        } else {
            // Keyed by the decoded bytes: `String` equality would merge keys that are only canonically equivalent.
            var last: [[UInt8]: Int] = [:]
            last.reserveCapacity(members.count)
            let keys = members.map { Array(JSONScanner.decode($0.key, in: bytes).utf8) }
            for (position, key) in keys.enumerated() { last[key] = position }
            if last.count == members.count { return members }
            shadowed = keys.indices.map { last[keys[$0]] != $0 }
        }
        guard shadowed.contains(true) else { return members }
        return members.indices.filter { !shadowed[$0] }.map { members[$0] }
    }

    private static func sameKey(_ a: JSONScanner.StringSpan, _ b: JSONScanner.StringSpan, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if !a.hasEscapes, !b.hasEscapes {
            return bytes[a.start..<a.end].elementsEqual(bytes[b.start..<b.end])
        }
        // Bytes, not `String` equality, which would call canonically equivalent spellings the same key.
        return JSONScanner.decode(a, in: bytes).utf8.elementsEqual(JSONScanner.decode(b, in: bytes).utf8)
    }
}
