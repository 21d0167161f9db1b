/// One answer as every dialect's renderer sees it: what is said (thinking, text or a tool call), to how many
/// choices, and the usage to report. Built once per request from the plan and the request's options.
struct AnswerShape {
    /// The answer's id in the dialect's form (`chatcmpl-sim7`, `msg_sim7`, `sim7`).
    var id: String
    /// The request's number, for tool-call ids.
    var sequence: Int
    var model: String
    var created: Int
    var promptTokens: Int
    var cachedTokens: Int
    var thinkingTokens: Int
    var textTokens: Int
    /// The tool called (the tool rule fired); it replaces the text.
    var toolCall: String?
    var choices: Int
    var logprobs: Bool
    /// The output limit cut the answer short (`max_tokens`, `MAX_TOKENS`).
    var truncated: Bool
    /// OpenAI `stream_options.include_usage`.
    var includeUsage: Bool
    /// `role_chunk`: the frames before any content go out with the response head, rather than with the first token.
    var preambleWithHead: Bool
    /// `stream_error_after_tokens`, when it falls inside the stream.
    var failAfterUnits: Int?

    /// The most timed units rendered for one stream (everything is rendered when the request starts).
    static let maxUnits = 1 << 20

    /// Output tokens per choice: thinking, then the text or the tool call's argument fragments.
    var outputTokens: Int { thinkingTokens + (toolCall == nil ? textTokens : SimulatedText.toolArguments.count) }

    init(
        plan: ChatPlan, model: String, created: Int, promptTokens: Int, options: AnswerOptions, includeUsage: Bool,
        id: String
    ) {
        let settings = plan.settings
        self.id = id
        self.sequence = plan.sequence
        self.model = model
        self.created = created
        self.promptTokens = promptTokens
        self.cachedTokens = min(settings.cachedPromptTokens, promptTokens)
        self.thinkingTokens = options.thinking ? min(settings.thinkingTokens, Self.maxUnits / 2) : 0
        var text = min(settings.answerTokens, Self.maxUnits / 2)
        var truncated = false
        if let limit = options.maxTokens, limit < text {
            text = limit
            truncated = true
        }
        self.textTokens = text
        self.toolCall = options.toolCall
        self.truncated = truncated && options.toolCall == nil
        self.choices = options.choices
        self.logprobs = options.logprobs
        self.includeUsage = includeUsage
        self.preambleWithHead = settings.roleChunk
        self.failAfterUnits = settings.streamErrorAfterTokens
    }
}
