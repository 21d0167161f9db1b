import EdgeJSON
import Foundation
import NIOCore

/// Builds the single `chat.completion` object a non-streaming client expects from the events of a stream:
/// the router always streams from the provider, so it can measure the first token and fail over before it.
///
/// From an OpenAI provider's own chunks (``consumeProviderChunk(_:)``) it also keeps what the neutral events do
/// not hold, so that the answer carries every field the provider's non-streaming answer would: `logprobs`,
/// `annotations`, `system_fingerprint`, `service_tier` and the whole `usage` with its details.
public struct OpenAICompletionAssembler: ClientAnswerAssembler, Sendable {
    private struct ToolCall {
        var index: Int
        var id = ""
        var name = ""
        var arguments = ""
    }

    private struct Choice {
        var index: Int
        var role = "assistant"
        var content = ""
        var refusal = ""
        var reasoning = ""
        var hasContent = false
        /// `logprobs.content` and `logprobs.refusal` elements, as the provider wrote them; nil when it sent none.
        var logprobsContent: [[UInt8]]?
        var logprobsRefusal: [[UInt8]]?
        var annotations: [[UInt8]] = []
        /// Sorted by index.
        var toolCalls: [ToolCall] = []
        var finishReason: String?
    }

    private var id = ""
    private var model = ""
    private var created = 0
    /// Sorted by index; almost always one.
    private var choices: [Choice] = []
    /// The usage the provider reported, if it did.
    public private(set) var usage: TokenUsage?
    /// The provider's own `usage` object, as written (OpenAI providers only).
    private var providerUsage: [UInt8]?
    private var systemFingerprint: String?
    private var serviceTier: String?
    /// Bytes of text taken so far (content, reasoning, tool call ids, names and arguments): what the assembled
    /// answer holds, less its JSON framing. The router caps it (`server.max_response_bytes`).
    public private(set) var assembledBytes = 0
    /// The last provider chunk's extras, kept so that the next chunk is read into the same storage.
    private var extras = OpenAIChunkExtras()

    /// An assembler with nothing consumed yet.
    public init() {}

    /// Takes one event of the stream, in order.
    public mutating func consume(_ event: StreamEvent) {
        switch event {
        case .start(let id, let model, let created):
            self.id = id
            self.model = model
            self.created = created
        case .role(let choice, let role):
            choices[slot(choice)].role = role
        case .text(let choice, let text):
            assembledBytes += text.utf8.count
            let slot = slot(choice)
            choices[slot].content += text
            choices[slot].hasContent = true
        case .refusal(let choice, let text):
            assembledBytes += text.utf8.count
            choices[slot(choice)].refusal += text
        case .reasoning(let choice, let text):
            assembledBytes += text.utf8.count
            choices[slot(choice)].reasoning += text
        case .toolCall(let choice, let index, let id, let name, let arguments):
            assembledBytes += (id?.utf8.count ?? 0) + (name?.utf8.count ?? 0) + arguments.utf8.count
            let slot = slot(choice)
            let call = choices[slot].toolCalls.insertionPoint(for: index) { $0.index }
            if !call.found { choices[slot].toolCalls.insert(ToolCall(index: index), at: call.position) }
            if let id, !id.isEmpty { choices[slot].toolCalls[call.position].id = id }
            if let name, !name.isEmpty { choices[slot].toolCalls[call.position].name += name }
            choices[slot].toolCalls[call.position].arguments += arguments
        case .usage(let usage):
            self.usage = usage
        case .finish(let choice, let reason):
            choices[slot(choice)].finishReason = reason
        case .error, .reasoningSignature, .redactedReasoning:
            break
        }
    }

    /// Keeps what an OpenAI provider's chunk says beyond its events (after ``consume(_:)`` of them). A chunk that
    /// cannot be read adds nothing: its events were already taken.
    public mutating func consumeProviderChunk(_ payload: [UInt8]) {
        var extras = self.extras
        self.extras = OpenAIChunkExtras()  // lets go of it, so that its storage is reused rather than copied
        defer { self.extras = extras }
        let readable = payload.withUnsafeBufferPointer { bytes in
            do {
                try OpenAIChunkExtras.read(bytes, into: &extras)
                return true
            } catch {
                return false
            }
        }
        guard readable else { return }
        if let fingerprint = extras.systemFingerprint { systemFingerprint = fingerprint }
        if let tier = extras.serviceTier { serviceTier = tier }
        if let usage = extras.usage { providerUsage = usage }
        for extra in extras.choices {
            let slot = slot(extra.index)
            if let content = extra.logprobsContent {
                assembledBytes += content.reduce(0) { $0 + $1.count }
                choices[slot].logprobsContent = (choices[slot].logprobsContent ?? []) + content
            }
            if let refusal = extra.logprobsRefusal {
                assembledBytes += refusal.reduce(0) { $0 + $1.count }
                choices[slot].logprobsRefusal = (choices[slot].logprobsRefusal ?? []) + refusal
            }
            assembledBytes += extra.annotations.reduce(0) { $0 + $1.count }
            choices[slot].annotations += extra.annotations
        }
    }

    /// The position of the choice with this index, added if new.
    private mutating func slot(_ index: Int) -> Int {
        // The common case: one choice, or events for the last one.
        if let last = choices.indices.last, choices[last].index == index { return last }
        let point = choices.insertionPoint(for: index) { $0.index }
        if !point.found { choices.insert(Choice(index: index), at: point.position) }
        return point.position
    }

    /// The assembled `chat.completion` JSON; `fallbackModel` names the model when the provider sent none.
    public func answerJSON(fallbackModel: String, fallbackID: String) -> ByteBuffer {
        var size = 256 + fallbackModel.utf8.count + fallbackID.utf8.count + id.utf8.count + model.utf8.count
        for choice in choices {
            size += 200 + choice.content.utf8.count + choice.refusal.utf8.count + choice.reasoning.utf8.count
            for element in (choice.logprobsContent ?? []) + (choice.logprobsRefusal ?? []) + choice.annotations { size += element.count + 1 }
            for call in choice.toolCalls { size += 96 + call.id.utf8.count + call.name.utf8.count + call.arguments.utf8.count }
        }
        // Escapes lengthen the text a little; an eighth more avoids most regrowth.
        var buffer = ByteBufferAllocator().buffer(capacity: size + size / 8)
        buffer.writeStaticString(#"{"id":"#)
        buffer.writeJSONString(id.isEmpty ? fallbackID : id)
        buffer.writeStaticString(#","object":"chat.completion","created":"#)
        buffer.writeJSONInteger(created == 0 ? Int(Date().timeIntervalSince1970) : created)
        buffer.writeStaticString(#","model":"#)
        buffer.writeJSONString(model.isEmpty ? fallbackModel : model)
        buffer.writeStaticString(#","choices":["#)
        for (position, choice) in choices.enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            Self.write(choice, to: &buffer)
        }
        buffer.writeStaticString("]")
        if let providerUsage {
            buffer.writeStaticString(#","usage":"#)
            buffer.writeBytes(providerUsage)
        } else if let usage {
            buffer.writeStaticString(#","usage":"#)
            OpenAIChunkEncoder.write(usage, to: &buffer)
        }
        if let serviceTier {
            buffer.writeStaticString(#","service_tier":"#)
            buffer.writeJSONString(serviceTier)
        }
        if let systemFingerprint {
            buffer.writeStaticString(#","system_fingerprint":"#)
            buffer.writeJSONString(systemFingerprint)
        }
        buffer.writeStaticString("}")
        return buffer
    }

    private static func write(_ choice: Choice, to buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"index":"#)
        buffer.writeJSONInteger(choice.index)
        buffer.writeStaticString(#","message":{"role":"#)
        buffer.writeJSONString(choice.role)
        buffer.writeStaticString(#","content":"#)
        // A message that is only tool calls has `content: null`, as OpenAI sends it.
        if choice.hasContent || (choice.toolCalls.isEmpty && choice.refusal.isEmpty) {
            buffer.writeJSONString(choice.content)
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString(#","refusal":"#)
        if choice.refusal.isEmpty { buffer.writeStaticString("null") } else { buffer.writeJSONString(choice.refusal) }
        buffer.writeStaticString(#","annotations":["#)
        writeElements(choice.annotations, to: &buffer)
        buffer.writeStaticString("]")
        if !choice.reasoning.isEmpty {
            buffer.writeStaticString(#","reasoning_content":"#)
            buffer.writeJSONString(choice.reasoning)
        }
        if !choice.toolCalls.isEmpty {
            buffer.writeStaticString(#","tool_calls":["#)
            for (position, call) in choice.toolCalls.enumerated() {
                if position > 0 { buffer.writeStaticString(",") }
                buffer.writeStaticString(#"{"id":"#)
                buffer.writeJSONString(call.id)
                buffer.writeStaticString(#","type":"function","function":{"name":"#)
                buffer.writeJSONString(call.name)
                buffer.writeStaticString(#","arguments":"#)
                buffer.writeJSONString(call.arguments)
                buffer.writeStaticString("}}")
            }
            buffer.writeStaticString("]")
        }
        buffer.writeStaticString(#"},"logprobs":"#)
        if choice.logprobsContent == nil, choice.logprobsRefusal == nil {
            buffer.writeStaticString("null")
        } else {
            buffer.writeStaticString(#"{"content":"#)
            writeArray(choice.logprobsContent, to: &buffer)
            buffer.writeStaticString(#","refusal":"#)
            writeArray(choice.logprobsRefusal, to: &buffer)
            buffer.writeStaticString("}")
        }
        buffer.writeStaticString(#","finish_reason":"#)
        if let reason = choice.finishReason {
            buffer.writeJSONString(reason)
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString("}")
    }
}

/// `[…]` of the elements, or `null` for none at all.
private func writeArray(_ elements: [[UInt8]]?, to buffer: inout ByteBuffer) {
    guard let elements else {
        buffer.writeStaticString("null")
        return
    }
    buffer.writeStaticString("[")
    writeElements(elements, to: &buffer)
    buffer.writeStaticString("]")
}

/// The elements, comma-separated.
private func writeElements(_ elements: [[UInt8]], to buffer: inout ByteBuffer) {
    for (position, element) in elements.enumerated() {
        if position > 0 { buffer.writeStaticString(",") }
        buffer.writeBytes(element)
    }
}

extension Array {
    /// Where an element with `key` is, or would go, in an array sorted by that key.
    fileprivate func insertionPoint(for key: Int, by keyOf: (Element) -> Int) -> (position: Int, found: Bool) {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if keyOf(self[middle]) < key { low = middle + 1 } else { high = middle }
        }
        return (low, low < count && keyOf(self[low]) == key)
    }
}
