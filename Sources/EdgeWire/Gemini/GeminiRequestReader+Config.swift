import EdgeJSON

/// Reading `tools`, `toolConfig` and `generationConfig`.
extension GeminiRequestReader.State {
    /// `tools`: function declarations translate; Gemini's own tools (`googleSearch`, `codeExecution`, ...) do not.
    mutating func readTools(_ cursor: inout GeminiBodyCursor) throws(WireError) {
        try cursor.enterArray("tools")
        var index = 0
        while try cursor.nextElement() {
            let path = "tools[\(index)]"
            try cursor.enterObject(path)
            var other = false
            while let key = try cursor.nextMember() {
                if cursor.skipNull() { continue }
                guard key.matches("functionDeclarations") else {
                    other = true
                    try cursor.skip()
                    continue
                }
                try cursor.enterArray("\(path).functionDeclarations")
                var position = 0
                while try cursor.nextElement() {
                    try readDeclaration(&cursor, path: "\(path).functionDeclarations[\(position)]")
                    position += 1
                }
            }
            if other { untranslatable(path) }
            index += 1
        }
    }

    private mutating func readDeclaration(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) {
        try cursor.enterObject(path)
        var tool = ToolDefinition(name: "")
        var sawName = false
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "name":
                tool.name = try cursor.string("\(path).name")
                sawName = true
            case "description": tool.description = try cursor.string("\(path).description")
            // `parameters` is Gemini's OpenAPI subset, `parametersJsonSchema` full JSON Schema: both are a schema
            // of the arguments object, which is what the neutral field holds.
            case "parameters":
                tool.parameters = RawJSON(GeminiSchema.jsonSchema(fromOpenAPI: try cursor.rawObject("\(path).parameters")))
            case "parametersJsonSchema":
                tool.parameters = RawJSON(try cursor.rawObject("\(path).parametersJsonSchema"))
            default:
                untranslatable("\(path).\(key.string)")
                try cursor.skip()
            }
        }
        guard sawName else { throw WireError("Missing required parameter: '\(path).name'.", param: "\(path).name") }
        request.tools.append(tool)
    }

    /// `toolConfig.functionCallingConfig`: `AUTO`, `NONE`, `ANY` (with one allowed name: that tool).
    mutating func readToolConfig(_ cursor: inout GeminiBodyCursor) throws(WireError) {
        try cursor.enterObject("toolConfig")
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            guard key.matches("functionCallingConfig") else {
                untranslatable("toolConfig.\(key.string)")
                try cursor.skip()
                continue
            }
            let path = "toolConfig.functionCallingConfig"
            try cursor.enterObject(path)
            var mode: String?
            var allowed: [String]?
            while let member = try cursor.nextMember() {
                if cursor.skipNull() { continue }
                switch member {
                case "mode": mode = try cursor.string("\(path).mode")
                case "allowedFunctionNames": allowed = try cursor.strings("\(path).allowedFunctionNames")
                default:
                    untranslatable("\(path).\(member.string)")
                    try cursor.skip()
                }
            }
            switch mode ?? "" {
            case "AUTO": request.toolChoice = .auto
            case "MODE_UNSPECIFIED", "": request.toolChoice = nil
            case "NONE": request.toolChoice = ToolChoice.none
            case "ANY":
                if let allowed, allowed.count == 1 {
                    request.toolChoice = .tool(name: allowed[0])
                    continue
                }
                request.toolChoice = .required
            default:
                untranslatable("\(path).mode")
            }
            // A list of allowed names the neutral choice cannot express (several, or with AUTO).
            if let allowed, !allowed.isEmpty { untranslatable("\(path).allowedFunctionNames") }
        }
    }

    /// `generationConfig`: sampling, limits, the answer's format and thinking.
    mutating func readGenerationConfig(_ cursor: inout GeminiBodyCursor) throws(WireError) {
        let path = "generationConfig"
        try cursor.enterObject(path)
        var mimeType: String?
        var schema: (key: String, value: RawJSON)?
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "temperature": request.temperature = try cursor.number("\(path).temperature")
            case "topP": request.topP = try cursor.number("\(path).topP")
            case "topK": request.topK = try cursor.int("\(path).topK")
            case "maxOutputTokens": request.maxTokens = try cursor.int("\(path).maxOutputTokens")
            case "stopSequences": request.stopSequences = try cursor.strings("\(path).stopSequences")
            case "candidateCount": request.choiceCount = try cursor.int("\(path).candidateCount")
            case "responseMimeType": mimeType = try cursor.string("\(path).responseMimeType")
            case "responseSchema":
                schema = ("responseSchema", RawJSON(GeminiSchema.jsonSchema(fromOpenAPI: try cursor.raw())))
            case "responseJsonSchema":
                schema = ("responseJsonSchema", RawJSON(try cursor.raw()))
            case "thinkingConfig": try readThinking(&cursor, path: "\(path).thinkingConfig")
            default:
                untranslatable("\(path).\(key.string)")
                try cursor.skip()
            }
        }
        switch mimeType ?? "" {
        case "application/json":
            request.responseFormat = schema.map { .jsonSchema(name: "response", schema: $0.value, strict: nil) } ?? .jsonObject
            return
        case "text/plain": request.responseFormat = .text
        case "": break
        default: untranslatable("\(path).responseMimeType")
        }
        // A schema only applies to JSON answers: without `application/json` it has no neutral meaning.
        if let schema { untranslatable("\(path).\(schema.key)") }
    }

    /// `thinkingConfig`: a budget (0 turns thinking off, -1 lets the model choose), a level, `includeThoughts`.
    private mutating func readThinking(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) {
        try cursor.enterObject(path)
        var budget: Int?
        var level: String?
        var include = false
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "thinkingBudget": budget = try cursor.int("\(path).thinkingBudget")
            case "thinkingLevel": level = try cursor.string("\(path).thinkingLevel").lowercased()
            case "includeThoughts": include = try cursor.bool("\(path).includeThoughts")
            default:
                untranslatable("\(path).\(key.string)")
                try cursor.skip()
            }
        }
        guard include || level != nil || (budget.map { $0 != 0 } ?? false) else { return }
        request.reasoning = ReasoningRequest(effort: level, budgetTokens: budget.flatMap { $0 > 0 ? $0 : nil })
    }
}
