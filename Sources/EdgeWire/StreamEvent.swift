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
    /// A piece of a choice's reasoning (thinking) text.
    case reasoning(choice: Int, text: String)
    /// A fragment of a tool call; `arguments` arrive in pieces to be concatenated.
    case toolCall(choice: Int, index: Int, id: String?, name: String?, arguments: String)
    /// Token counts for the whole answer.
    case usage(TokenUsage)
    /// A choice is complete.
    case finish(choice: Int, reason: String)
    /// The provider reported an error inside the stream.
    case error(message: String, type: String?)

    /// Whether the event carries content: the first such event is the first token.
    public var isContent: Bool {
        switch self {
        case .text(_, let text), .reasoning(_, let text): !text.isEmpty
        case .toolCall: true
        default: false
        }
    }
}

/// Token counts of one request.
public struct TokenUsage: Sendable, Equatable, Codable {
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// Prompt and completion tokens together. Both counts are the provider's word, so the sum saturates rather
    /// than trapping on counts whose sum does not fit (found by fuzzing the stream decoder).
    public var totalTokens: Int {
        let (sum, overflow) = promptTokens.addingReportingOverflow(completionTokens)
        guard overflow else { return sum }
        return promptTokens < 0 ? .min : .max
    }
}
