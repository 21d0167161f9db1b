import EdgeJSON
import NIOCore

/// Writes neutral ``StreamEvent``s as an Anthropic Messages SSE stream, for an Anthropic client whose request went
/// to a provider of another dialect.
///
/// `message_start` is written before the first frame (its usage is zero: other dialects report usage only at the
/// end, and it comes in `message_delta`). Text, reasoning and each tool call become content blocks numbered from
/// 0; a block is closed (`content_block_stop`) when content of another kind or a new tool call begins, or the
/// choice finishes. Only choice 0 is written: a Messages answer has one.
public struct AnthropicStreamEncoder: ClientStreamEncoder {
    private enum Block: Equatable {
        case text
        case thinking
        case tool(index: Int)
    }

    private let fallbackID: String
    private let model: String
    private var messageID: String?
    private var started = false
    private var open: Block?
    private var blockCount = 0
    private var stopReason: String?
    private var usage: TokenUsage?

    /// An encoder for one stream: `fallbackID` makes the message id (`msg_<fallbackID>`) when the provider sent
    /// none; `model` is the model name the client asked for.
    public init(fallbackID: String, model: String) {
        self.fallbackID = fallbackID
        self.model = model
    }

    /// Appends the frames `event` makes.
    public mutating func encode(_ event: StreamEvent, into output: inout ByteBuffer) {
        switch event {
        case .start(let id, _, _):
            if !started, !id.isEmpty { messageID = id }
        case .role(0, _):
            start(into: &output)
        case .text(0, let text), .refusal(0, let text):
            openBlock(.text, into: &output)
            guard !text.isEmpty else { return }
            delta(#"{"type":"text_delta","text":"#, text, into: &output)
        case .reasoning(0, let text):
            openBlock(.thinking, into: &output)
            guard !text.isEmpty else { return }
            delta(#"{"type":"thinking_delta","thinking":"#, text, into: &output)
        case .redactedReasoning(0, let data):
            // A whole block in one event: opened and closed at once.
            start(into: &output)
            closeBlock(into: &output)
            open = .thinking
            blockStartPrefix(into: &output)
            output.writeStaticString(#"{"type":"redacted_thinking","data":"#)
            output.writeJSONString(data)
            output.writeStaticString("}}\n\n")
            closeBlock(into: &output)
        case .reasoningSignature(0, let signature):
            openBlock(.thinking, into: &output)
            delta(#"{"type":"signature_delta","signature":"#, signature, into: &output)
        case .toolCall(0, let index, let id, let name, let arguments):
            // A call's later fragments carry neither id nor name (OpenAI) or repeat them: one block per index run.
            if open != .tool(index: index) {
                openToolBlock(index: index, id: id ?? "", name: name ?? "", into: &output)
            }
            guard !arguments.isEmpty else { return }
            delta(#"{"type":"input_json_delta","partial_json":"#, arguments, into: &output)
        case .finish(0, let reason):
            start(into: &output)
            closeBlock(into: &output)
            stopReason = AnthropicStopReason.anthropic(reason)
        case .usage(let figures):
            usage = figures
        case .error(let message, let type):
            start(into: &output)
            output.writeImmutableBuffer(Self.errorFrame(type: type ?? "api_error", message: message))
        default:
            // Choices other than 0.
            break
        }
    }

    /// Closes the open block and writes `message_delta` (stop reason and usage) and `message_stop`.
    public mutating func finish(into output: inout ByteBuffer) {
        start(into: &output)
        closeBlock(into: &output)
        let figures = usage ?? TokenUsage(promptTokens: 0, completionTokens: 0)
        output.writeStaticString("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":")
        output.writeJSONString(stopReason ?? "end_turn")
        output.writeStaticString(#","stop_sequence":null},"usage":"#)
        AnthropicMessageAssembler.writeUsage(figures, into: &output)
        output.writeStaticString("}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
    }

    /// The `error` event for a stream that breaks after its start: `{"type":"error","error":{"type","message"}}`.
    public static func errorFrame(type: String, message: String) -> ByteBuffer {
        var frame = ByteBufferAllocator().buffer(capacity: 64 + type.utf8.count + message.utf8.count)
        frame.writeStaticString("event: error\ndata: ")
        AnthropicErrorBody.writeError(type: type, message: message, into: &frame)
        frame.writeStaticString("}\n\n")
        return frame
    }

    private mutating func start(into output: inout ByteBuffer) {
        guard !started else { return }
        started = true
        output.writeStaticString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":")
        if let messageID {
            output.writeJSONString(messageID)
        } else {
            output.writeJSONString("msg_\(fallbackID)")
        }
        output.writeStaticString(#","type":"message","role":"assistant","model":"#)
        output.writeJSONString(model)
        output.writeStaticString(
            #","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}"#)
        output.writeStaticString("\n\n")
    }

    private mutating func openBlock(_ kind: Block, into output: inout ByteBuffer) {
        guard open != kind else { return }
        start(into: &output)
        closeBlock(into: &output)
        open = kind
        blockStartPrefix(into: &output)
        switch kind {
        case .text: output.writeStaticString(#"{"type":"text","text":""}}"#)
        case .thinking: output.writeStaticString(#"{"type":"thinking","thinking":"","signature":""}}"#)
        case .tool: break
        }
        output.writeStaticString("\n\n")
    }

    private mutating func openToolBlock(index: Int, id: String, name: String, into output: inout ByteBuffer) {
        start(into: &output)
        closeBlock(into: &output)
        open = .tool(index: index)
        blockStartPrefix(into: &output)
        output.writeStaticString(#"{"type":"tool_use","id":"#)
        output.writeJSONString(id)
        output.writeStaticString(#","name":"#)
        output.writeJSONString(name)
        output.writeStaticString(#","input":{}}}"#)
        output.writeStaticString("\n\n")
    }

    private func blockStartPrefix(into output: inout ByteBuffer) {
        output.writeStaticString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":")
        output.writeJSONInteger(blockCount)
        output.writeStaticString(#","content_block":"#)
    }

    private mutating func closeBlock(into output: inout ByteBuffer) {
        guard open != nil else { return }
        open = nil
        output.writeStaticString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":")
        output.writeJSONInteger(blockCount)
        output.writeStaticString("}\n\n")
        blockCount &+= 1
    }

    /// A `content_block_delta` of the open block; `prefix` opens the delta object up to its string value.
    private func delta(_ prefix: StaticString, _ value: String, into output: inout ByteBuffer) {
        output.writeStaticString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":")
        output.writeJSONInteger(blockCount)
        output.writeStaticString(#","delta":"#)
        output.writeStaticString(prefix)
        output.writeJSONString(value)
        output.writeStaticString("}}\n\n")
    }
}
