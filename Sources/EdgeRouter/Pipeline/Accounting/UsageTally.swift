import EdgeWire
import RequestLog
import RoutingCore

/// What a request's answer used, counted from the frames the client was given: the provider's usage when it sent
/// one (its counts are cumulative, so the last wins), else an estimate from the text delivered.
///
/// The estimate counts 4 bytes of UTF-8 per token (OpenAI's rule of thumb for English text), for the prompt from
/// the request body's size and for the completion from the text, reasoning and tool calls streamed. A request
/// cut mid-stream is billed for what was delivered, estimated, unless the provider's usage came before the cut.
struct UsageTally {
    private(set) var reported: TokenUsage?
    /// UTF-8 bytes of content delivered (text, refusals, reasoning, tool names and arguments).
    private(set) var deliveredBytes = 0

    mutating func observe(_ frame: UpstreamFrame) {
        for event in frame.events {
            switch event {
            case .usage(let usage):
                reported = usage
            case .text(_, let text), .refusal(_, let text), .reasoning(_, let text):
                deliveredBytes &+= text.utf8.count
            case .toolCall(_, _, _, let name, let arguments):
                deliveredBytes &+= (name?.utf8.count ?? 0) &+ arguments.utf8.count
            default:
                break
            }
        }
    }

    /// The tokens to bill, and whether they are estimated. `promptBytes` is the request body's size.
    func tokens(promptBytes: Int) -> (tokens: RequestRecord.Tokens, estimated: Bool) {
        if let reported {
            return (
                RequestRecord.Tokens(
                    input: max(0, reported.promptTokens), output: max(0, reported.completionTokens),
                    cacheRead: max(0, reported.cacheReadTokens), cacheWrite: max(0, reported.cacheWriteTokens),
                    reasoning: max(0, reported.reasoningTokens)),
                false
            )
        }
        return (RequestRecord.Tokens(input: Self.estimate(promptBytes), output: Self.estimate(deliveredBytes)), true)
    }

    /// Tokens in `bytes` of text, rounded up.
    static func estimate(_ bytes: Int) -> Int { bytes <= 0 ? 0 : (bytes - 1) / 4 + 1 }
}

extension Price {
    /// The cost of `tokens` at these prices.
    func cost(of tokens: RequestRecord.Tokens) -> Double {
        cost(prompt: tokens.input, completion: tokens.output, cacheRead: tokens.cacheRead, cacheWrite: tokens.cacheWrite)
    }
}
