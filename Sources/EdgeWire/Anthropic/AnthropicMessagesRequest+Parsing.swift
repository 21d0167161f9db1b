import EdgeJSON
import NIOCore

/// Checking a Messages body cheaply (only the fields routing needs) and splicing the upstream body's tail from the
/// client's bytes. The full reading, for translation to another dialect, is ``AnthropicRequestReader``.
extension AnthropicMessagesRequest {
    /// Parses and checks a request body: it must be one JSON object with a non-empty string `model`, an integer
    /// `max_tokens` of at least 1, a non-empty array `messages` of objects whose `role` is `user` or `assistant`,
    /// and `stream` a boolean or null. Errors name the offending field.
    public static func parse(_ bytes: some Collection<UInt8>) throws(WireError) -> AnthropicMessagesRequest {
        let result =
            bytes.withContiguousStorageIfAvailable { parse(buffer: $0) }
            ?? Array(bytes).withUnsafeBufferPointer { parse(buffer: $0) }
        return try result.get()
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> Result<AnthropicMessagesRequest, WireError> {
        Result { () throws(WireError) in try parse(checking: buffer) }
    }

    private static func parse(checking bytes: UnsafeBufferPointer<UInt8>) throws(WireError) -> AnthropicMessagesRequest {
        // The whole body is validated first, so a syntax error anywhere wins over a missing field.
        try JSONScanner.validateObject(bytes)
        var scanner = JSONScanner(bytes)
        var model: JSONScanner.Mark?
        var maxTokens: JSONScanner.Mark?
        var messages: JSONScanner.Mark?
        var stream: JSONScanner.Mark?
        var kept: [JSONMember] = []
        kept.reserveCapacity(16)
        try scanner.requireObject("body")
        while let key = try scanner.member() {
            let mark = scanner.mark()
            try scanner.skipField()
            switch key {
            case "model": model = mark
            case "stream": stream = mark
            case "max_tokens":
                maxTokens = mark
                kept.append(JSONMember(key: key.span, end: scanner.offset))
            case "messages":
                messages = mark
                kept.append(JSONMember(key: key.span, end: scanner.offset))
            default: kept.append(JSONMember(key: key.span, end: scanner.offset))
            }
        }

        let modelName = try checkModel(model, scanner)
        try checkMaxTokens(maxTokens, scanner)
        try checkMessages(messages, scanner)
        let streams = try checkStream(stream, scanner)

        var tail = ByteBufferAllocator().buffer(capacity: bytes.count + 16)
        for member in JSONMember.lastOccurrences(kept, in: bytes) {
            tail.writeStaticString(",")
            tail.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[member.start..<member.end])))
        }
        tail.writeStaticString(#","stream":true}"#)
        return AnthropicMessagesRequest(model: modelName, stream: streams, upstreamTail: tail)
    }

    private static func checkModel(_ mark: JSONScanner.Mark?, _ scanner: JSONScanner) throws(WireError) -> String {
        guard let mark else { throw WireError.required("model") }
        var value = scanner.resumed(at: mark)
        guard try value.fieldKind() == .string, case let name = try value.requireString("model"), !name.isEmpty else {
            throw WireError("model: Input should be a non-empty string.", param: "model")
        }
        return name
    }

    private static func checkMaxTokens(_ mark: JSONScanner.Mark?, _ scanner: JSONScanner) throws(WireError) {
        guard let mark else { throw WireError.required("max_tokens") }
        var value = scanner.resumed(at: mark)
        let tokens = try value.requireInt("max_tokens")
        guard tokens >= 1 else {
            throw WireError("max_tokens: Input should be greater than or equal to 1.", param: "max_tokens")
        }
    }

    private static func checkMessages(_ mark: JSONScanner.Mark?, _ scanner: JSONScanner) throws(WireError) {
        guard let mark else { throw WireError.required("messages") }
        var messages = scanner.resumed(at: mark)
        try messages.requireArray("messages")
        var index = 0
        while try messages.element() {
            try messages.requireObject("messages[\(index)]")
            var role: JSONScanner.Mark?
            while let key = try messages.member() {
                if key.matches("role") { role = messages.mark() }
                try messages.skipField()
            }
            guard let role else { throw WireError.required("messages[\(index)].role") }
            var value = messages.resumed(at: role)
            let span: JSONScanner.StringSpan
            do { span = try value.readStringSpan() } catch { throw WireError.mustBe("a string", "messages[\(index)].role") }
            guard value.spanIs(span, "user") || value.spanIs(span, "assistant") else {
                throw WireError(
                    "messages[\(index)].role: Input should be 'user' or 'assistant'.", param: "messages[\(index)].role")
            }
            index &+= 1
        }
        guard index > 0 else {
            throw WireError("messages: at least one message is required.", param: "messages")
        }
    }

    private static func checkStream(_ mark: JSONScanner.Mark?, _ scanner: JSONScanner) throws(WireError) -> Bool {
        guard let mark else { return false }
        var value = scanner.resumed(at: mark)
        if try value.takeNull() { return false }
        return try value.requireBool("stream")
    }
}
