import EdgeJSON

/// Decodes a Gemini `streamGenerateContent?alt=sse` stream into ``UpstreamFrame``s. Each SSE data frame is a whole
/// `GenerateContentResponse`; there is no end marker, so ``decode(_:)`` never returns ``StreamDecoded/done`` and a
/// stream is complete when every candidate has given its `finishReason` (``isAnswerFinished``).
///
/// Gemini repeats the cumulative `usageMetadata` on many frames; ``StreamEvent/usage(_:)`` is emitted once, on the
/// frame where the last candidate finishes (a usage seen earlier is kept until then).
///
/// A `thoughtSignature` on a thought part becomes ``StreamEvent/reasoningSignature(choice:signature:)``; on any
/// other part (a function call, the empty last text) it is dropped: only Gemini can use it, and a Gemini client
/// gets the provider's own frames on the pass-through path. Parts with no neutral meaning (code execution, media the
/// model generated) are skipped; they stay in the frame's payload for that path.
public struct GeminiStreamDecoder: ProviderStreamDecoder {
    private struct Candidate {
        var index: Int
        /// Function calls so far, for the neutral call index and synthesized ids.
        var calls = 0
        var finished = false
    }

    private var started = false
    /// Candidates seen so far, in order of first sight.
    private var candidates: [Candidate] = []
    private var heldUsage: TokenUsage?
    private var usageSent = false
    public private(set) var isAnswerFinished = false

    /// A decoder at the start of a stream.
    public init() {}

    /// Decodes one SSE event: a frame, or nothing for an empty data line.
    public mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> StreamDecoded {
        let data = event.data
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .skip }
        let identity = !started
        let reading = data.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) in try GeminiResponseFrame.read(bytes, identity: identity) }
        }
        guard case .success(let frame) = reading else {
            throw MalformedFrame(detail: "a stream frame is not a valid Gemini response")
        }
        if let error = frame.error {
            return .frame(UpstreamFrame(payload: data, events: [.error(message: error.message, type: error.status)]))
        }
        let events = events(of: frame)
        let usageOnly = frame.candidates.isEmpty && frame.blockReason == nil && frame.usage != nil
        return .frame(UpstreamFrame(payload: data, events: events, isUsageOnly: usageOnly))
    }

    private mutating func events(of frame: GeminiResponseFrame) -> [StreamEvent] {
        var events: [StreamEvent] = []
        events.reserveCapacity(frame.candidates.count * 2 + 2)
        if !started {
            started = true
            events.append(.start(id: frame.responseID ?? "", model: frame.modelVersion ?? "", created: 0))
        }
        for candidate in frame.candidates {
            let slot = slot(for: candidate.index, into: &events)
            for part in candidate.parts {
                switch part {
                case .text(let text):
                    events.append(.text(choice: candidate.index, text: text))
                case .thought(let text, let signature):
                    if !text.isEmpty { events.append(.reasoning(choice: candidate.index, text: text)) }
                    if let signature { events.append(.reasoningSignature(choice: candidate.index, signature: signature)) }
                case .functionCall(let id, let name, let arguments):
                    let index = candidates[slot].calls
                    candidates[slot].calls += 1
                    events.append(
                        .toolCall(
                            choice: candidate.index, index: index, id: id ?? "call_\(index)", name: name,
                            arguments: arguments))
                }
            }
            if let reason = candidate.finishReason, !candidates[slot].finished {
                candidates[slot].finished = true
                let neutral = GeminiJSON.neutralReason(for: reason, madeCalls: candidates[slot].calls > 0)
                events.append(.finish(choice: candidate.index, reason: neutral))
            }
        }
        // A refused prompt has no candidate: choice 0 ends, filtered.
        if frame.candidates.isEmpty, frame.blockReason != nil {
            let slot = slot(for: 0, into: &events)
            if !candidates[slot].finished {
                candidates[slot].finished = true
                events.append(.finish(choice: 0, reason: FinishReason.contentFilter))
            }
        }
        if let usage = frame.usage { heldUsage = usage }
        let allFinished = !candidates.isEmpty && candidates.allSatisfy(\.finished)
        if allFinished {
            isAnswerFinished = true
            if !usageSent, let usage = heldUsage {
                usageSent = true
                events.append(.usage(usage))
            }
        }
        return events
    }

    /// The position of the candidate with this index; on first sight it is added and its role announced.
    private mutating func slot(for index: Int, into events: inout [StreamEvent]) -> Int {
        if let position = candidates.firstIndex(where: { $0.index == index }) { return position }
        candidates.append(Candidate(index: index))
        events.append(.role(choice: index, role: "assistant"))
        return candidates.count - 1
    }
}
