import EdgeJSON

/// The request's tools, tool choice and thinking.
extension AnthropicRequestReader {
    /// `tools`: custom tools become ``ToolDefinition``s; a tool of another `type` (Anthropic's server and client
    /// tools: `web_search_…`, `bash_…`, `computer_…`) is listed as untranslatable (`tools[i]`). Members of a custom
    /// tool other than its name, description and schema (`cache_control`, `strict`, `input_examples`) are ignored.
    static func readTools(_ scanner: inout JSONScanner, untranslatable: inout [String]) throws(WireError) -> [ToolDefinition] {
        if try scanner.takeNull() { return [] }
        try scanner.requireArray("tools")
        var tools: [ToolDefinition] = []
        var index = 0
        while try scanner.element() {
            let path = { "tools[\(index)]" }
            try scanner.requireObject(path())
            var isCustom = true
            var name: String?
            var description: String?
            var schema: RawJSON?
            while let key = try scanner.member() {
                switch key {
                case "type":
                    if let type = try scanner.optionalString(path() + ".type") { isCustom = type == "custom" }
                case "name": name = try scanner.requireString(path() + ".name")
                case "description": description = try scanner.optionalString(path() + ".description")
                case "input_schema":
                    guard try scanner.fieldKind() == .object else { throw WireError.mustBe("an object", path() + ".input_schema") }
                    schema = try scanner.rawValue()
                default: try scanner.skipField()
                }
            }
            if isCustom {
                guard let name else { throw WireError.required(path() + ".name") }
                guard let schema else { throw WireError.required(path() + ".input_schema") }
                tools.append(ToolDefinition(name: name, description: description, parameters: schema))
            } else {
                note(path(), in: &untranslatable)
            }
            index &+= 1
        }
        return tools
    }

    /// `tool_choice`: `auto`, `any` (required), `tool` (with its `name`) or `none`; `disable_parallel_tool_use`
    /// is the inverse of ``ChatRequest/parallelToolCalls``.
    static func readToolChoice(_ scanner: inout JSONScanner) throws(WireError) -> (choice: ToolChoice?, parallel: Bool?) {
        if try scanner.takeNull() { return (nil, nil) }
        try scanner.requireObject("tool_choice")
        var type: String?
        var name: String?
        var disableParallel: Bool?
        while let key = try scanner.member() {
            switch key {
            case "type": type = try scanner.requireString("tool_choice.type")
            case "name": name = try scanner.optionalString("tool_choice.name")
            case "disable_parallel_tool_use":
                disableParallel = try scanner.takeNull() ? nil : try scanner.requireBool("tool_choice.disable_parallel_tool_use")
            default: try scanner.skipField()
            }
        }
        let choice: ToolChoice
        switch type {
        case "auto": choice = .auto
        case "any": choice = .required
        case "none": choice = .none
        case "tool":
            guard let name else { throw WireError.required("tool_choice.name") }
            choice = .tool(name: name)
        case nil: throw WireError.required("tool_choice.type")
        default:
            throw WireError(
                "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'.", param: "tool_choice.type")
        }
        return (choice, disableParallel.map { !$0 })
    }

    /// `thinking`: `enabled` with `budget_tokens` becomes a ``ReasoningRequest``; `disabled` none; `adaptive`
    /// (the model picks its own budget) has no neutral form and is listed as untranslatable.
    static func readThinking(_ scanner: inout JSONScanner, untranslatable: inout [String]) throws(WireError) -> ReasoningRequest? {
        if try scanner.takeNull() { return nil }
        try scanner.requireObject("thinking")
        var type: String?
        var budget: Int?
        while let key = try scanner.member() {
            switch key {
            case "type": type = try scanner.requireString("thinking.type")
            case "budget_tokens": budget = try scanner.requireInt("thinking.budget_tokens")
            default: try scanner.skipField()
            }
        }
        switch type {
        case "enabled":
            guard let budget else { throw WireError.required("thinking.budget_tokens") }
            return ReasoningRequest(budgetTokens: budget)
        case "disabled":
            return nil
        case "adaptive":
            note("thinking", in: &untranslatable)
            return nil
        case nil:
            throw WireError.required("thinking.type")
        default:
            throw WireError("thinking.type: Input should be 'enabled' or 'disabled'.", param: "thinking.type")
        }
    }
}
