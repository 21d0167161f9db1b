/// What a request asks of the answer's shape, in any dialect: how many choices, thinking, log probabilities and
/// whether the tool rule fires.
///
/// The tool rule, the same in every dialect: the request declares at least one tool AND forces a call to one:
/// OpenAI `tool_choice` `"required"` or `{"type":"function","function":{"name":...}}`; Anthropic `tool_choice`
/// `{"type":"any"}` or `{"type":"tool","name":...}`; Gemini `toolConfig.functionCallingConfig.mode` `"ANY"`
/// (with `allowedFunctionNames`, the first is called). The named tool is called, else the first declared one;
/// `"auto"`, `"none"` or no choice never call a tool. The call replaces the text answer.
struct AnswerOptions: Equatable {
    /// Choices (OpenAI `n`) or candidates (Gemini `candidateCount`); at least 1.
    var choices = 1
    /// OpenAI `logprobs: true`.
    var logprobs = false
    /// Thinking asked for (OpenAI `reasoning_effort`, Anthropic `thinking.type == "enabled"`, Gemini
    /// `thinkingConfig.includeThoughts`).
    var thinking = false
    /// The tool to call, when the tool rule fires.
    var toolCall: String?
    /// The output limit when the dialect's answer honours it (Anthropic `max_tokens`, Gemini
    /// `generationConfig.maxOutputTokens`); the OpenAI answer ignores it, as it always did.
    var maxTokens: Int?

    /// Whether anything differs from a plain request (OpenAI's plain answers take the pre-rendered fast path).
    var isPlain: Bool { self == AnswerOptions() }

    /// The most choices or candidates rendered (real providers cap `n` at 8 or so too).
    static let maxChoices = 8
}

/// Reading tool declarations while scanning a request: the first declared name, the forced name, the mode.
struct ToolRule {
    var firstTool: String?
    var declared = false
    var forced = false
    var forcedName: String?

    /// The tool called, or nil when the rule does not fire.
    var call: String? {
        guard declared, forced else { return nil }
        return forcedName ?? firstTool ?? "tool"
    }
}
