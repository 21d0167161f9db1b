import EdgeJSON
import NIOCore

/// Builds the single Messages `message` object a non-streaming Anthropic client expects from the events of a
/// stream (the router always streams from the provider). Content blocks keep their order of arrival; only
/// choice 0 is kept. From an Anthropic provider's own events (``consumeProviderEvent(_:)``) it also keeps what the
/// neutral events do not hold: the matched `stop_sequence`, the provider's whole `usage`, and the message's other
/// members.
public struct AnthropicMessageAssembler: ClientAnswerAssembler, Sendable {
    /// One content block; its strings grow in place as fragments arrive.
    private struct Block {
        enum Kind { case thinking, redactedThinking, text, toolUse }
        var kind: Kind
        /// Text, thinking, or a tool call's arguments.
        var text = ""
        var signature = ""
        var toolIndex = 0
        var id = ""
        var name = ""
    }

    private var id = ""
    private var model = ""
    private var blocks: [Block] = []
    private var stopReason: String?
    /// The usage the provider reported, if it did.
    public private(set) var usage: TokenUsage?
    /// Bytes of text taken so far (text, thinking and its signature, tool call ids, names and arguments): what the
    /// assembled answer holds, less its JSON framing. The router caps it (`server.max_response_bytes`).
    public private(set) var assembledBytes = 0

    /// What the provider's own events said beyond the neutral ones.
    private var extras = AnthropicMessageExtras()

    /// An assembler with nothing consumed yet.
    public init() {}

    /// Keeps what an Anthropic provider's event (`message_start`, `message_delta`) says beyond its neutral events.
    public mutating func consumeProviderEvent(_ payload: [UInt8]) {
        extras.consume(payload)
    }

    /// Takes one event of the stream, in order.
    public mutating func consume(_ event: StreamEvent) {
        switch event {
        case .start(let id, let model, _):
            if !id.isEmpty { self.id = id }
            if !model.isEmpty { self.model = model }
        case .text(0, let text), .refusal(0, let text):
            assembledBytes &+= text.utf8.count
            if blocks.last?.kind != .text { blocks.append(Block(kind: .text)) }
            blocks[blocks.count &- 1].text += text
        case .reasoning(0, let text):
            assembledBytes &+= text.utf8.count
            if blocks.last?.kind != .thinking { blocks.append(Block(kind: .thinking)) }
            blocks[blocks.count &- 1].text += text
        case .redactedReasoning(0, let data):
            assembledBytes &+= data.utf8.count
            blocks.append(Block(kind: .redactedThinking, text: data))
        case .reasoningSignature(0, let signature):
            assembledBytes &+= signature.utf8.count
            if blocks.last?.kind != .thinking { blocks.append(Block(kind: .thinking)) }
            blocks[blocks.count &- 1].signature += signature
        case .toolCall(0, let index, let callID, let name, let arguments):
            assembledBytes &+= (callID?.utf8.count ?? 0) &+ (name?.utf8.count ?? 0) &+ arguments.utf8.count
            let position: Int
            if let found = blocks.lastIndex(where: { $0.kind == .toolUse && $0.toolIndex == index }) {
                position = found
            } else {
                blocks.append(Block(kind: .toolUse, toolIndex: index))
                position = blocks.count &- 1
            }
            if let callID, !callID.isEmpty { blocks[position].id = callID }
            if let name { blocks[position].name += name }
            blocks[position].text += arguments
        case .finish(0, let reason):
            stopReason = AnthropicStopReason.anthropic(reason)
        case .usage(let figures):
            usage = figures
        default:
            break
        }
    }

    /// The assembled `message` JSON; `fallbackModel` and `fallbackID` stand in when the provider sent none.
    public func answerJSON(fallbackModel: String, fallbackID: String) -> ByteBuffer {
        var size = 320 + fallbackModel.utf8.count + fallbackID.utf8.count + id.utf8.count + model.utf8.count
        for block in blocks {
            size &+= 64 &+ block.text.utf8.count &+ block.signature.utf8.count &+ block.id.utf8.count &+ block.name.utf8.count
        }
        // Escapes lengthen the text a little; an eighth more avoids most regrowth.
        var buffer = ByteBufferAllocator().buffer(capacity: size &+ size / 8)
        buffer.writeStaticString(#"{"id":"#)
        buffer.writeJSONString(id.isEmpty ? fallbackID : id)
        buffer.writeStaticString(#","type":"message","role":"assistant","model":"#)
        buffer.writeJSONString(model.isEmpty ? fallbackModel : model)
        buffer.writeStaticString(#","content":["#)
        for (position, block) in blocks.enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            Self.write(block, into: &buffer)
        }
        buffer.writeStaticString(#"],"stop_reason":"#)
        if let stopReason = extras.stopReason ?? stopReason {
            buffer.writeJSONString(stopReason)
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString(#","stop_sequence":"#)
        if let stopSequence = extras.stopSequence {
            buffer.writeJSONString(stopSequence)
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString(#","usage":"#)
        if extras.usage.isEmpty {
            Self.writeUsage(usage ?? TokenUsage(promptTokens: 0, completionTokens: 0), into: &buffer)
        } else {
            Self.writeMembers(extras.usage, into: &buffer, braces: true)
        }
        if !extras.members.isEmpty {
            buffer.writeStaticString(",")
            Self.writeMembers(extras.members, into: &buffer, braces: false)
        }
        buffer.writeStaticString("}")
        return buffer
    }

    private static func write(_ block: Block, into buffer: inout ByteBuffer) {
        switch block.kind {
        case .thinking:
            buffer.writeStaticString(#"{"type":"thinking","thinking":"#)
            buffer.writeJSONString(block.text)
            buffer.writeStaticString(#","signature":"#)
            buffer.writeJSONString(block.signature)
            buffer.writeStaticString("}")
        case .redactedThinking:
            buffer.writeStaticString(#"{"type":"redacted_thinking","data":"#)
            buffer.writeJSONString(block.text)
            buffer.writeStaticString("}")
        case .text:
            buffer.writeStaticString(#"{"type":"text","text":"#)
            buffer.writeJSONString(block.text)
            buffer.writeStaticString("}")
        case .toolUse:
            buffer.writeStaticString(#"{"type":"tool_use","id":"#)
            buffer.writeJSONString(block.id)
            buffer.writeStaticString(#","name":"#)
            buffer.writeJSONString(block.name)
            buffer.writeStaticString(#","input":"#)
            // Arguments that are not one JSON object (a stream cut short) cannot be `input`: an empty one stands in.
            if !AnthropicRequestWriter.writeObject(block.text, into: &buffer) { buffer.writeStaticString("{}") }
            buffer.writeStaticString("}")
        }
    }

    private static func writeMembers(_ members: [(key: [UInt8], value: [UInt8])], into buffer: inout ByteBuffer, braces: Bool) {
        if braces { buffer.writeStaticString("{") }
        for (position, member) in members.enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            buffer.writeBytes(member.key)
            buffer.writeStaticString(":")
            buffer.writeBytes(member.value)
        }
        if braces { buffer.writeStaticString("}") }
    }

    /// Anthropic's usage object: `input_tokens` is the uncached part of the prompt, cache reads and writes apart.
    static func writeUsage(_ usage: TokenUsage, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"input_tokens":"#)
        buffer.writeJSONInteger(usage.uncachedPromptTokens)
        buffer.writeStaticString(#","output_tokens":"#)
        buffer.writeJSONInteger(usage.completionTokens)
        buffer.writeStaticString(#","cache_creation_input_tokens":"#)
        buffer.writeJSONInteger(usage.cacheWriteTokens)
        buffer.writeStaticString(#","cache_read_input_tokens":"#)
        buffer.writeJSONInteger(usage.cacheReadTokens)
        buffer.writeStaticString("}")
    }
}
