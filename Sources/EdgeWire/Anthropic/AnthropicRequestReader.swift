import EdgeJSON

/// Reads a whole Anthropic Messages request into the neutral ``ChatRequest``, for a provider that speaks another
/// dialect (an Anthropic provider gets the client's own bytes, ``AnthropicMessagesRequest/upstreamBody(model:)``).
///
/// Hints with no effect on the answer's content are ignored: `cache_control` (at the top and on any block or
/// tool), `metadata` (the end user's id) and `service_tier`. Top-level fields with no neutral meaning
/// (`container`, `mcp_servers`, `context_management`, `output_config`, `inference_geo`, newer ones) are listed in
/// ``ChatRequest/untranslatable`` by name, as are content blocks other than text, image, tool use, tool result
/// and (redacted) thinking (`messages[i].content[j]`), tools other than custom ones (`tools[i]`), and adaptive
/// thinking (`thinking`); another dialect's writer refuses such a request naming that field.
public enum AnthropicRequestReader {
    /// Reads and checks a Messages body; errors name the offending field (`messages[2].content[0].source`).
    public static func read(_ bytes: some Collection<UInt8>) throws(WireError) -> ChatRequest {
        let result =
            bytes.withContiguousStorageIfAvailable { read(buffer: $0) }
            ?? Array(bytes).withUnsafeBufferPointer { read(buffer: $0) }
        return try result.get()
    }

    private static func read(buffer: UnsafeBufferPointer<UInt8>) -> Result<ChatRequest, WireError> {
        Result { () throws(WireError) in try read(checking: buffer) }
    }

    private static func read(checking bytes: UnsafeBufferPointer<UInt8>) throws(WireError) -> ChatRequest {
        try JSONScanner.validateObject(bytes)
        var scanner = JSONScanner(bytes)
        var request = ChatRequest(model: "")
        var hasModel = false
        var hasMaxTokens = false
        var hasMessages = false
        try scanner.requireObject("body")
        // Of duplicate keys the last wins, as with every other reading of a body: each one overwrites.
        while let key = try scanner.member() {
            switch key {
            case "model":
                let model = try scanner.requireString("model")
                guard !model.isEmpty else { throw WireError("model: Input should be a non-empty string.", param: "model") }
                request.model = model
                hasModel = true
            case "max_tokens":
                let tokens = try scanner.requireInt("max_tokens")
                guard tokens >= 1 else {
                    throw WireError("max_tokens: Input should be greater than or equal to 1.", param: "max_tokens")
                }
                request.maxTokens = tokens
                hasMaxTokens = true
            case "messages":
                request.messages = try readMessages(&scanner, untranslatable: &request.untranslatable)
                hasMessages = true
            case "stream":
                request.stream = try scanner.takeNull() ? false : try scanner.requireBool("stream")
            case "system":
                request.system = try readSystem(&scanner)
            case "tools":
                request.tools = try readTools(&scanner, untranslatable: &request.untranslatable)
            case "tool_choice":
                let choice = try readToolChoice(&scanner)
                request.toolChoice = choice.choice
                request.parallelToolCalls = choice.parallel
            case "temperature":
                request.temperature = try scanner.takeNull() ? nil : try scanner.requireNumber("temperature")
            case "top_p":
                request.topP = try scanner.takeNull() ? nil : try scanner.requireNumber("top_p")
            case "top_k":
                request.topK = try scanner.takeNull() ? nil : try scanner.requireInt("top_k")
            case "stop_sequences":
                request.stopSequences = try readStrings(&scanner, "stop_sequences")
            case "thinking":
                request.reasoning = try readThinking(&scanner, untranslatable: &request.untranslatable)
            case "cache_control", "metadata", "service_tier":
                // Hints that change caching, abuse tracking or capacity, never the answer: nothing to translate.
                try scanner.skipField()
            default:
                note(key.string, in: &request.untranslatable)
                try scanner.skipField()
            }
        }
        guard hasModel else { throw WireError.required("model") }
        guard hasMaxTokens else { throw WireError.required("max_tokens") }
        guard hasMessages else { throw WireError.required("messages") }
        guard !request.messages.isEmpty else {
            throw WireError("messages: at least one message is required.", param: "messages")
        }
        return request
    }

    /// Lists a path as untranslatable once.
    static func note(_ path: String, in untranslatable: inout [String]) {
        if !untranslatable.contains(path) { untranslatable.append(path) }
    }

    /// `system`: a string, or an array of text blocks.
    private static func readSystem(_ scanner: inout JSONScanner) throws(WireError) -> [String] {
        switch try scanner.fieldKind() {
        case .null:
            _ = try scanner.takeNull()
            return []
        case .string:
            return [try scanner.requireString("system")]
        default:
            try scanner.requireArray("system")
            var pieces: [String] = []
            var index = 0
            while try scanner.element() {
                let path = { "system[\(index)]" }
                try scanner.requireObject(path())
                var type: String?
                var text: String?
                while let key = try scanner.member() {
                    switch key {
                    case "type": type = try scanner.requireString(path() + ".type")
                    case "text": text = try scanner.requireString(path() + ".text")
                    default: try scanner.skipField()
                    }
                }
                guard type == "text" else {
                    throw WireError("\(path()).type: Input should be 'text'.", param: path() + ".type")
                }
                guard let text else { throw WireError.required(path() + ".text") }
                pieces.append(text)
                index &+= 1
            }
            return pieces
        }
    }

    /// An array of strings (`stop_sequences`), `null` as none.
    private static func readStrings(_ scanner: inout JSONScanner, _ field: String) throws(WireError) -> [String] {
        if try scanner.takeNull() { return [] }
        try scanner.requireArray(field)
        var strings: [String] = []
        while try scanner.element() {
            strings.append(try scanner.requireString("\(field)[\(strings.count)]"))
        }
        return strings
    }
}
