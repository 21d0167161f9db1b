import EdgeJSON

/// Reads a Gemini `generateContent` body with EdgeJSON's scanner: `contents` is required; `generationConfig`
/// (`candidateCount`, `maxOutputTokens`, `thinkingConfig.includeThoughts`) and `tools`/`toolConfig` shape the
/// answer (see ``AnswerOptions`` for the tool rule). The model and streaming come from the URL.
enum GeminiRequestReader {
    static func read(
        _ bytes: UnsafeBufferPointer<UInt8>, model: String, stream: Bool, sse: Bool
    ) -> Result<DialectRequest, RequestRefusal> {
        var scanner = JSONScanner(bytes)
        var hasContents = false
        var options = AnswerOptions()
        var tools = ToolRule()
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch key {
                case "contents":
                    hasContents = try scanner.peekKind() == .array
                    try scanner.skipValue()
                case "generationConfig", "generation_config":
                    try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                        switch key {
                        case "candidateCount", "candidate_count":
                            options.choices = min(max(try scanner.lenientCount() ?? 1, 1), AnswerOptions.maxChoices)
                        case "maxOutputTokens", "max_output_tokens": options.maxTokens = try scanner.lenientCount()
                        case "thinkingConfig", "thinking_config":
                            try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                                switch key {
                                case "includeThoughts", "include_thoughts": options.thinking = try scanner.lenientFlag()
                                default: try scanner.skipValue()
                                }
                            }
                        default: try scanner.skipValue()
                        }
                    }
                case "tools":
                    try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                        try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                            guard key.matches("functionDeclarations") || key.matches("function_declarations") else {
                                return try scanner.skipValue()
                            }
                            try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                                tools.declared = true
                                try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                                    guard key.matches("name") else { return try scanner.skipValue() }
                                    let name = try scanner.lenientString()
                                    if tools.firstTool == nil { tools.firstTool = name }
                                }
                            }
                        }
                    }
                case "toolConfig", "tool_config":
                    try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                        guard key.matches("functionCallingConfig") || key.matches("function_calling_config") else {
                            return try scanner.skipValue()
                        }
                        try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                            switch key {
                            case "mode": tools.forced = try scanner.lenientString() == "ANY"
                            case "allowedFunctionNames", "allowed_function_names":
                                try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                                    let name = try scanner.lenientString()
                                    if tools.forcedName == nil { tools.forcedName = name }
                                }
                            default: try scanner.skipValue()
                            }
                        }
                    }
                default: try scanner.skipValue()
                }
            }
            try scanner.finish()
        } catch {
            return .failure(RequestRefusal(message: "Invalid JSON payload received. \(error)"))
        }
        guard hasContents else { return .failure(RequestRefusal(message: "* GenerateContentRequest.contents: contents is not specified")) }
        options.toolCall = tools.call
        return .success(DialectRequest(model: model, stream: stream, sse: sse, options: options))
    }
}
