import EdgeJSON

/// Reads an OpenAI Responses API request (`POST /v1/responses`) with EdgeJSON's scanner: `model` and `input` are
/// required, as the API has them; `stream`, `max_output_tokens` (honoured: the answer stops there, `incomplete`),
/// `reasoning` (any effort: reasoning summaries come first) and `tools`/`tool_choice` shape the answer (the tool
/// rule of ``AnswerOptions``: a function tool declared and `tool_choice` `"required"` or
/// `{"type":"function","name":…}`).
enum ResponsesRequestReader {
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<DialectRequest, RequestRefusal> {
        var scanner = JSONScanner(bytes)
        var model: String?
        var stream = false
        var hasInput = false
        var options = AnswerOptions()
        var tools = ToolRule()
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch key {
                case "model": model = try scanner.lenientString()
                case "stream": stream = try scanner.lenientFlag()
                case "input":
                    let kind = try scanner.peekKind()
                    hasInput = kind == .array || kind == .string
                    try scanner.skipValue()
                case "max_output_tokens": options.maxTokens = try scanner.lenientCount()
                case "reasoning":
                    options.thinking = false
                    try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                        guard key.matches("effort") else { return try scanner.skipValue() }
                        let effort = try scanner.lenientString()
                        options.thinking = effort != nil && effort != "none"
                    }
                case "tools":
                    tools.declared = false
                    tools.firstTool = nil
                    try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                        try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                            guard key.matches("name") else { return try scanner.skipValue() }
                            tools.declared = true
                            let name = try scanner.lenientString()
                            if tools.firstTool == nil { tools.firstTool = name }
                        }
                    }
                case "tool_choice":
                    tools.forced = false
                    tools.forcedName = nil
                    switch try scanner.peekKind() {
                    case .string: tools.forced = try scanner.readString() == "required"
                    default:
                        try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                            switch key {
                            case "type": tools.forced = try scanner.lenientString() == "function"
                            case "name": tools.forcedName = try scanner.lenientString()
                            default: try scanner.skipValue()
                            }
                        }
                    }
                default: try scanner.skipValue()
                }
            }
            try scanner.finish()
        } catch {
            return .failure(RequestRefusal(message: "We could not parse the JSON body of your request: \(error)"))
        }
        guard let model else { return .failure(RequestRefusal(message: "Missing required parameter: 'model'.")) }
        guard hasInput else { return .failure(RequestRefusal(message: "Missing required parameter: 'input'.")) }
        options.toolCall = tools.call
        return .success(DialectRequest(model: model, stream: stream, options: options))
    }
}
