import Foundation

/// One frame of an upstream stream: the bytes the provider sent and what they mean.
public struct UpstreamFrame: Sendable {
    /// The SSE data payload as the provider sent it, for the pass-through path.
    public var payload: [UInt8]
    /// What the frame says, for accounting, first-token detection and translation.
    public var events: [StreamEvent]
    /// The frame carries only the usage figures (the `include_usage` chunk with empty `choices`).
    public var isUsageOnly: Bool

    /// Whether any event in the frame carries content.
    public var hasContent: Bool { events.contains { $0.isContent } }
}

/// Decodes an OpenAI chat-completion SSE stream, event by event, into ``UpstreamFrame``s.
struct OpenAIStreamDecoder {
    /// What one SSE event turned out to be.
    enum Decoded {
        case frame(UpstreamFrame)
        /// `data: [DONE]`: the stream is complete.
        case done
        /// Nothing to act on (an empty data line).
        case skip
    }

    /// The provider sent something that is not an OpenAI chunk.
    struct MalformedFrame: Error {
        var detail: String
    }

    private let decoder = JSONDecoder()
    private var started = false

    mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> Decoded {
        let data = event.data
        if data.isEmpty { return .skip }
        if data.elementsEqual("[DONE]".utf8) { return .done }
        let chunk: OpenAIChunk
        do {
            chunk = try decoder.decode(OpenAIChunk.self, from: Data(data))
        } catch {
            throw MalformedFrame(detail: "a stream frame is not valid JSON")
        }
        var events: [StreamEvent] = []
        if let error = chunk.error {
            events.append(.error(message: error.message ?? "the provider reported an error", type: error.type))
            return .frame(UpstreamFrame(payload: data, events: events, isUsageOnly: false))
        }
        if !started, let id = chunk.id {
            started = true
            events.append(.start(id: id, model: chunk.model ?? "", created: chunk.created ?? 0))
        }
        let choices = chunk.choices ?? []
        for choice in choices {
            let index = choice.index ?? 0
            if let delta = choice.delta {
                if let role = delta.role { events.append(.role(choice: index, role: role)) }
                if let text = delta.reasoning_content, !text.isEmpty { events.append(.reasoning(choice: index, text: text)) }
                if let text = delta.content, !text.isEmpty { events.append(.text(choice: index, text: text)) }
                if let text = delta.refusal, !text.isEmpty { events.append(.text(choice: index, text: text)) }
                for call in delta.tool_calls ?? [] {
                    events.append(
                        .toolCall(
                            choice: index, index: call.index ?? 0, id: call.id, name: call.function?.name,
                            arguments: call.function?.arguments ?? ""))
                }
            }
            if let reason = choice.finish_reason { events.append(.finish(choice: index, reason: reason)) }
        }
        if let usage = chunk.usage {
            events.append(
                .usage(TokenUsage(promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0)))
        }
        return .frame(UpstreamFrame(payload: data, events: events, isUsageOnly: choices.isEmpty && chunk.usage != nil))
    }
}
