import EdgeJSON
import Foundation
import NIOCore

/// Writes neutral ``StreamEvent``s as OpenAI `chat.completion.chunk` frames, for an OpenAI client whose answer
/// comes from a provider of another dialect. One chunk per event, as OpenAI streams them; the usage chunk (empty
/// `choices`) only when the client asked for it (`stream_options.include_usage`).
public struct OpenAIChunkEncoder: ClientStreamEncoder {
    private var id: String
    private var model: String
    private var created: Int
    private let includeUsage: Bool

    /// An encoder for a stream answering `model`; `fallbackID` names it until the provider's id is known.
    public init(fallbackID: String, model: String, includeUsage: Bool) {
        self.id = fallbackID
        self.model = model
        self.created = Int(Date().timeIntervalSince1970)
        self.includeUsage = includeUsage
    }

    public mutating func encode(_ event: StreamEvent, into output: inout ByteBuffer) {
        switch event {
        case .start(let id, _, let created):
            // The model stays the one the client asked for: which provider answered is in the headers.
            if !id.isEmpty { self.id = id }
            if created > 0 { self.created = created }
        case .role(let choice, let role):
            chunk(choice, into: &output) { $0.writeStaticString(#""role":"#); $0.writeJSONString(role) }
        case .text(let choice, let text):
            chunk(choice, into: &output) { $0.writeStaticString(#""content":"#); $0.writeJSONString(text) }
        case .refusal(let choice, let text):
            chunk(choice, into: &output) { $0.writeStaticString(#""refusal":"#); $0.writeJSONString(text) }
        case .reasoning(let choice, let text):
            chunk(choice, into: &output) { $0.writeStaticString(#""reasoning_content":"#); $0.writeJSONString(text) }
        case .toolCall(let choice, let index, let callID, let name, let arguments):
            chunk(choice, into: &output) { buffer in
                buffer.writeStaticString(#""tool_calls":[{"index":"#)
                buffer.writeJSONInteger(index)
                if let callID {
                    buffer.writeStaticString(#","id":"#)
                    buffer.writeJSONString(callID)
                    buffer.writeStaticString(#","type":"function""#)
                }
                buffer.writeStaticString(#","function":{"#)
                if let name {
                    buffer.writeStaticString(#""name":"#)
                    buffer.writeJSONString(name)
                    buffer.writeStaticString(",")
                }
                buffer.writeStaticString(#""arguments":"#)
                buffer.writeJSONString(arguments)
                buffer.writeStaticString("}}]")
            }
        case .finish(let choice, let reason):
            chunk(choice, into: &output, finishReason: reason) { _ in }
        case .usage(let usage):
            guard includeUsage else { return }
            head(into: &output)
            output.writeStaticString(#""choices":[],"usage":"#)
            Self.write(usage, to: &output)
            output.writeStaticString("}\n\n")
        case .reasoningSignature, .redactedReasoning, .error:
            break
        }
    }

    public mutating func finish(into output: inout ByteBuffer) {
        output.writeStaticString("data: [DONE]\n\n")
    }

    private func head(into output: inout ByteBuffer) {
        output.writeStaticString(#"data: {"id":"#)
        output.writeJSONString(id)
        output.writeStaticString(#","object":"chat.completion.chunk","created":"#)
        output.writeJSONInteger(created)
        output.writeStaticString(#","model":"#)
        output.writeJSONString(model)
        output.writeStaticString(",")
    }

    private func chunk(
        _ choice: Int, into output: inout ByteBuffer, finishReason: String? = nil, delta: (inout ByteBuffer) -> Void
    ) {
        head(into: &output)
        output.writeStaticString(#""choices":[{"index":"#)
        output.writeJSONInteger(choice)
        output.writeStaticString(#","delta":{"#)
        delta(&output)
        output.writeStaticString(#"},"logprobs":null,"finish_reason":"#)
        if let finishReason { output.writeJSONString(finishReason) } else { output.writeStaticString("null") }
        output.writeStaticString("}]}\n\n")
    }

    /// OpenAI's `usage` object, with the cache and reasoning details.
    static func write(_ usage: TokenUsage, to output: inout ByteBuffer) {
        output.writeStaticString(#"{"prompt_tokens":"#)
        output.writeJSONInteger(usage.promptTokens)
        output.writeStaticString(#","completion_tokens":"#)
        output.writeJSONInteger(usage.completionTokens)
        output.writeStaticString(#","total_tokens":"#)
        output.writeJSONInteger(usage.totalTokens)
        output.writeStaticString(#","prompt_tokens_details":{"cached_tokens":"#)
        output.writeJSONInteger(usage.cacheReadTokens)
        output.writeStaticString(#"},"completion_tokens_details":{"reasoning_tokens":"#)
        output.writeJSONInteger(usage.reasoningTokens)
        output.writeStaticString("}}")
    }
}
