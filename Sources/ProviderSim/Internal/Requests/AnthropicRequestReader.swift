import EdgeJSON

/// Reads an Anthropic Messages request (`POST /v1/messages`) with EdgeJSON's scanner: `model`, `messages` and
/// `max_tokens` are required, as the API has them; `stream`, `thinking` and `tools`/`tool_choice` shape the
/// answer (see ``AnswerOptions`` for the tool rule).
enum AnthropicRequestReader {
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<DialectRequest, RequestRefusal> {
        var scanner = JSONScanner(bytes)
        var model: String?
        var stream = false
        var hasMessages = false
        var maxTokens: Int?
        var options = AnswerOptions()
        var tools = ToolRule()
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch key {
                case "model": model = try scanner.lenientString()
                case "stream": stream = try scanner.lenientFlag()
                case "messages":
                    hasMessages = try scanner.peekKind() == .array
                    try scanner.skipValue()
                case "max_tokens": maxTokens = try scanner.lenientCount()
                case "thinking":
                    options.thinking = false
                    try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                        guard key.matches("type") else { return try scanner.skipValue() }
                        options.thinking = try scanner.lenientString() == "enabled"
                    }
                case "tools":
                    tools.declared = false
                    tools.firstTool = nil
                    try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                        tools.declared = true
                        try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                            guard key.matches("name") else { return try scanner.skipValue() }
                            let name = try scanner.lenientString()
                            if tools.firstTool == nil { tools.firstTool = name }
                        }
                    }
                case "tool_choice":
                    tools.forced = false
                    tools.forcedName = nil
                    try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                        switch key {
                        case "type":
                            let type = try scanner.lenientString()
                            tools.forced = type == "any" || type == "tool"
                        case "name": tools.forcedName = try scanner.lenientString()
                        default: try scanner.skipValue()
                        }
                    }
                default: try scanner.skipValue()
                }
            }
            try scanner.finish()
        } catch {
            return .failure(RequestRefusal(message: "The request body is not valid JSON: \(error)"))
        }
        guard let model else { return .failure(RequestRefusal(message: "model: Field required")) }
        guard hasMessages else { return .failure(RequestRefusal(message: "messages: Field required")) }
        guard let maxTokens else { return .failure(RequestRefusal(message: "max_tokens: Field required")) }
        guard maxTokens >= 1 else { return .failure(RequestRefusal(message: "max_tokens: must be greater than or equal to 1")) }
        options.maxTokens = maxTokens
        options.toolCall = tools.call
        return .success(DialectRequest(model: model, stream: stream, options: options))
    }
}
