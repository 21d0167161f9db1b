import EdgeJSON
/// A dialect-neutral piece of a model's answer, between the upstream decoder and the client encoder.
///
/// Upstream decoders turn each provider frame into events; client encoders turn events into the client's wire
/// format. When both sides speak the same dialect the frame's bytes are forwarded untouched and the events are
/// only read for accounting, first-token detection and non-streaming assembly.
public enum StreamEvent: Sendable, Equatable {
    /// The answer's identity, from the first frame.
    case start(id: String, model: String, created: Int)
    /// The role of a choice's message (usually `assistant`), before any content.
    case role(choice: Int, role: String)
    /// A piece of a choice's text.
    case text(choice: Int, text: String)
    /// A piece of a choice's refusal (OpenAI's `refusal`, apart from `content`): other dialects write it as text.
    case refusal(choice: Int, text: String)
    /// A piece of a choice's reasoning (thinking) text.
    case reasoning(choice: Int, text: String)
    /// Reasoning the provider sent encrypted (Anthropic's `redacted_thinking` block): passed on as it came, for the
    /// client to send back in a later turn.
    case redactedReasoning(choice: Int, data: String)
    /// The signature that closes a piece of reasoning (Anthropic's `signature_delta`): a client that sends the
    /// reasoning back in a later turn must send it with this, unchanged.
    case reasoningSignature(choice: Int, signature: String)
    /// A fragment of a tool call; `arguments` arrive in pieces to be concatenated. The first fragment of a call
    /// carries its `id` and `name`; a dialect that sends calls whole (Gemini) sends one fragment.
    case toolCall(choice: Int, index: Int, id: String?, name: String?, arguments: String)
    /// Token counts for the whole answer.
    case usage(TokenUsage)
    /// A choice is complete. `reason` is in the neutral vocabulary, which is OpenAI's `finish_reason`: `stop`,
    /// `length`, `tool_calls`, `content_filter` (see ``FinishReason``).
    case finish(choice: Int, reason: String)
    /// The provider reported an error inside the stream.
    case error(message: String, type: String?)

    /// Whether the event carries content: the first such event is the first token.
    public var isContent: Bool {
        switch self {
        case .text(_, let text), .refusal(_, let text), .reasoning(_, let text): !text.isEmpty
        case .toolCall, .redactedReasoning: true
        default: false
        }
    }
}

/// Token counts of one request, in OpenAI's terms: the prompt count includes tokens read from or written to a
/// prompt cache (Anthropic counts those apart from `input_tokens`: its readers add them in, its writers take them
/// out again), and the completion count includes reasoning tokens.
public struct TokenUsage: Sendable, Equatable, Codable {
    /// Tokens in the prompt, cached ones included.
    public var promptTokens: Int
    /// Tokens generated, reasoning included.
    public var completionTokens: Int
    /// Prompt tokens read from the provider's cache (OpenAI `prompt_tokens_details.cached_tokens`, Anthropic
    /// `cache_read_input_tokens`, Gemini `cachedContentTokenCount`).
    public var cacheReadTokens: Int
    /// Prompt tokens written to the provider's cache (Anthropic `cache_creation_input_tokens`).
    public var cacheWriteTokens: Int
    /// Completion tokens spent reasoning (OpenAI `completion_tokens_details.reasoning_tokens`, Gemini
    /// `thoughtsTokenCount`).
    public var reasoningTokens: Int

    public init(
        promptTokens: Int, completionTokens: Int, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0, reasoningTokens: Int = 0
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.reasoningTokens = reasoningTokens
    }

    /// Prompt tokens neither read from nor written to a cache (Anthropic's `input_tokens`), never negative.
    public var uncachedPromptTokens: Int {
        let (cached, overflow) = cacheReadTokens.addingReportingOverflow(cacheWriteTokens)
        guard !overflow else { return 0 }
        let (rest, under) = promptTokens.subtractingReportingOverflow(cached)
        return under ? 0 : max(0, rest)
    }

    /// Prompt and completion tokens together. Both counts are the provider's word, so the sum saturates rather
    /// than trapping on counts whose sum does not fit (found by fuzzing the stream decoder).
    public var totalTokens: Int {
        let (sum, overflow) = promptTokens.addingReportingOverflow(completionTokens)
        guard overflow else { return sum }
        return promptTokens < 0 ? .min : .max
    }
}

/// The neutral stop reasons (OpenAI's `finish_reason` values) and each dialect's names for them.
public enum FinishReason {
    public static let stop = "stop"
    public static let length = "length"
    public static let toolCalls = "tool_calls"
    public static let contentFilter = "content_filter"
}
