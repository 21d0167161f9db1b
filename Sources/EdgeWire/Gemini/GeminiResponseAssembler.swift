import EdgeJSON
import NIOCore

/// Builds the single `GenerateContentResponse` a non-streaming Gemini client (`:generateContent`) expects from the
/// events of a stream: the router always streams from the provider, so it can measure the first token and fail
/// over before it. From a Gemini provider's own frames (``consumeProviderFrame(_:)``) it also keeps what the
/// neutral events do not hold (finish reasons as sent, safety ratings, citations, the whole `usageMetadata`, …).
public struct GeminiResponseAssembler: ClientAnswerAssembler, Sendable {
    private struct Call {
        var index: Int
        var id = ""
        var name = ""
        var arguments = ""
    }

    private struct Candidate {
        var index: Int
        var text = ""
        var thoughts = ""
        /// Sorted by index.
        var calls: [Call] = []
        var finishReason: String?
    }

    private var responseID = ""
    private var modelVersion = ""
    /// Sorted by index; almost always one.
    private var candidates: [Candidate] = []
    /// The usage the provider reported, if it did.
    public private(set) var usage: TokenUsage?
    /// Bytes of text taken so far (text, thoughts, call ids, names and arguments): what the answer holds, less its
    /// JSON framing. The router caps it (`server.max_response_bytes`).
    public private(set) var assembledBytes = 0

    /// What the provider's own frames said beyond the neutral events.
    private var extras = GeminiResponseExtras()

    /// An assembler with nothing consumed yet.
    public init() {}

    /// Keeps what a Gemini provider's frame says beyond its neutral events.
    public mutating func consumeProviderFrame(_ payload: [UInt8]) {
        extras.consume(payload)
    }

    /// Takes one event of the stream, in order.
    public mutating func consume(_ event: StreamEvent) {
        switch event {
        case .start(let id, let model, _):
            responseID = id
            modelVersion = model
        case .role(let choice, _):
            _ = slot(choice)
        case .text(let choice, let text), .refusal(let choice, let text):
            assembledBytes += text.utf8.count
            candidates[slot(choice)].text += text
        case .reasoning(let choice, let text):
            assembledBytes += text.utf8.count
            candidates[slot(choice)].thoughts += text
        case .toolCall(let choice, let index, let id, let name, let arguments):
            assembledBytes += (id?.utf8.count ?? 0) + (name?.utf8.count ?? 0) + arguments.utf8.count
            let slot = slot(choice)
            let position = candidates[slot].calls.firstIndex { $0.index >= index } ?? candidates[slot].calls.count
            if position == candidates[slot].calls.count || candidates[slot].calls[position].index != index {
                candidates[slot].calls.insert(Call(index: index), at: position)
            }
            if let id, !id.isEmpty { candidates[slot].calls[position].id = id }
            if let name { candidates[slot].calls[position].name += name }
            candidates[slot].calls[position].arguments += arguments
        case .usage(let usage):
            self.usage = usage
        case .finish(let choice, let reason):
            candidates[slot(choice)].finishReason = reason
        case .error, .reasoningSignature, .redactedReasoning:
            // Another provider's signature cannot be returned to Gemini usefully; errors end the answer elsewhere.
            break
        }
    }

    /// The position of the candidate with this index, added if new.
    private mutating func slot(_ index: Int) -> Int {
        if let last = candidates.indices.last, candidates[last].index == index { return last }
        let position = candidates.firstIndex { $0.index >= index } ?? candidates.count
        if position == candidates.count || candidates[position].index != index {
            candidates.insert(Candidate(index: index), at: position)
        }
        return position
    }

    /// The assembled `GenerateContentResponse` JSON; the fallbacks stand in when the provider sent no model or id.
    public func answerJSON(fallbackModel: String, fallbackID: String) -> ByteBuffer {
        var size = 192 + fallbackModel.utf8.count + fallbackID.utf8.count + responseID.utf8.count + modelVersion.utf8.count
        for candidate in candidates {
            size += 128 + candidate.text.utf8.count + candidate.thoughts.utf8.count
            for call in candidate.calls { size += 64 + call.id.utf8.count + call.name.utf8.count + call.arguments.utf8.count }
        }
        for member in extras.members { size += member.key.count + member.value.count + 2 }
        for candidate in extras.candidates {
            for member in candidate.members { size += member.key.count + member.value.count + 2 }
        }
        // Escapes lengthen the text a little; an eighth more avoids most regrowth.
        var buffer = ByteBufferAllocator().buffer(capacity: size + size / 8)
        buffer.writeStaticString("{")
        if !candidates.isEmpty {
            buffer.writeStaticString(#""candidates":["#)
            for (position, candidate) in candidates.enumerated() {
                if position > 0 { buffer.writeStaticString(",") }
                Self.write(
                    candidate, extras: extras.members(ofCandidate: candidate.index), calls: extras.calls(ofCandidate: candidate.index),
                    to: &buffer)
            }
            buffer.writeStaticString("],")
        }
        // The provider's own members as it last sent them; the neutral ones for what it did not send.
        let sent = Set(extras.members.map(\.key))
        for member in extras.members {
            buffer.writeBytes(member.key)
            buffer.writeStaticString(":")
            buffer.writeBytes(member.value)
            buffer.writeStaticString(",")
        }
        if let usage, !sent.contains(Array(#""usageMetadata""#.utf8)) {
            GeminiJSON.writeUsage(usage, into: &buffer)
            buffer.writeStaticString(",")
        }
        if !sent.contains(Array(#""modelVersion""#.utf8)) {
            buffer.writeStaticString(#""modelVersion":"#)
            buffer.writeJSONString(modelVersion.isEmpty ? fallbackModel : modelVersion)
            buffer.writeStaticString(",")
        }
        if !sent.contains(Array(#""responseId""#.utf8)) {
            buffer.writeStaticString(#""responseId":"#)
            buffer.writeJSONString(responseID.isEmpty ? fallbackID : responseID)
            buffer.writeStaticString(",")
        }
        // Every member above ends with a comma: the last one's becomes the closing brace.
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        buffer.writeStaticString("}")
        return buffer
    }

    /// `calls`, when the provider's own function-call parts were kept, are written as they came in place of the
    /// neutral calls.
    private static func write(
        _ candidate: Candidate, extras: [GeminiResponseExtras.Member], calls: [[UInt8]], to buffer: inout ByteBuffer
    ) {
        buffer.writeStaticString(#"{"content":{"parts":["#)
        var parts = 0
        if !candidate.thoughts.isEmpty {
            GeminiJSON.writeTextPart(candidate.thoughts, thought: true, into: &buffer)
            parts += 1
        }
        // The text part is written even when empty if there is nothing else: clients index `parts[0]`.
        if !candidate.text.isEmpty || candidate.calls.isEmpty {
            if parts > 0 { buffer.writeStaticString(",") }
            GeminiJSON.writeTextPart(candidate.text, thought: false, into: &buffer)
            parts += 1
        }
        if calls.count == candidate.calls.count, !calls.isEmpty {
            for call in calls {
                if parts > 0 { buffer.writeStaticString(",") }
                buffer.writeBytes(call)
                parts += 1
            }
        } else {
            for call in candidate.calls {
                if parts > 0 { buffer.writeStaticString(",") }
                GeminiJSON.writeFunctionCall(id: call.id, name: call.name, arguments: call.arguments, into: &buffer)
                parts += 1
            }
        }
        buffer.writeStaticString(#"],"role":"model"}"#)
        for member in extras {
            buffer.writeStaticString(",")
            buffer.writeBytes(member.key)
            buffer.writeStaticString(":")
            buffer.writeBytes(member.value)
        }
        if let reason = candidate.finishReason, !extras.contains(where: { $0.key == Array(#""finishReason""#.utf8) }) {
            buffer.writeStaticString(#","finishReason":""#)
            buffer.writeStaticString(GeminiJSON.finishReason(for: reason))
            buffer.writeStaticString(#"""#)
        }
        buffer.writeStaticString(#","index":"#)
        buffer.writeJSONInteger(candidate.index)
        buffer.writeStaticString("}")
    }
}
