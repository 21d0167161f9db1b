import EdgeJSON

/// Decodes the server-sent events of a streamed Cog prediction (`Accept: text/event-stream`) into
/// ``UpstreamFrame``s. Cog names its events: `start` (`{"id","status"}`), `output` (`{"chunk","index"}`, one piece
/// the predictor yielded), `log` and `metric` (skipped), `completed` (the final prediction object, `status`
/// `succeeded`, `failed` or `canceled`), and `error` (the replay buffer lost events).
///
/// `start` gives the answer's identity and role; each `output` is a piece of text (a chunk that is not a string is
/// passed on as its JSON text); `completed` ends the answer: `succeeded` finishes choice 0 with `stop` (Cog does
/// not say whether a token limit cut it), `failed` and `canceled` are stream errors. Cog counts no tokens: the
/// router estimates them.
public struct CogStreamDecoder: ProviderStreamDecoder {
    private var started = false
    public private(set) var isAnswerFinished = false

    /// A decoder at the start of a stream.
    public init() {}

    public mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> StreamDecoded {
        let data = event.data
        let type = event.type ?? ""
        switch type {
        case "start", "output", "completed", "error":
            break
        default:
            // `log`, `metric`, keep-alive comments' empty events and types a later Cog adds.
            return .skip
        }
        let reading = data.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) in try CogPrediction.read(bytes) }
        }
        guard case .success(let prediction) = reading else {
            throw MalformedFrame(detail: "a stream event is not a valid Cog prediction event")
        }
        var events: [StreamEvent] = []
        switch type {
        case "start":
            begin(id: prediction.id, into: &events)
        case "output":
            begin(id: prediction.id, into: &events)
            if let chunk = prediction.chunk, !chunk.isEmpty { events.append(.text(choice: 0, text: chunk)) }
        case "completed":
            switch prediction.status {
            case "succeeded":
                begin(id: prediction.id, into: &events)
                events.append(.finish(choice: 0, reason: FinishReason.stop))
                isAnswerFinished = true
            case "canceled":
                events = [.error(message: "the prediction was canceled", type: "canceled")]
            default:
                events = [.error(message: prediction.error ?? "the prediction failed", type: "failed")]
            }
        default:  // "error"
            events = [.error(message: prediction.error ?? "the prediction stream failed", type: "error")]
        }
        return events.isEmpty ? .skip : .frame(UpstreamFrame(payload: data, eventType: type, events: events))
    }

    private mutating func begin(id: String?, into events: inout [StreamEvent]) {
        guard !started else { return }
        started = true
        events.append(.start(id: id ?? "", model: "", created: 0))
        events.append(.role(choice: 0, role: "assistant"))
    }
}

/// Reads the JSON answer of a Cog prediction made without streaming (a predictor without `@cog.streaming`) into
/// the same events a stream would have given: identity, the whole output as one piece of text, and the finish; or
/// the error of a prediction that failed or was canceled.
public enum CogAnswerReader {
    public static func events(_ bytes: [UInt8]) throws(MalformedFrame) -> [StreamEvent] {
        let reading = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONScanner.Failure) in try CogPrediction.read(buffer) }
        }
        guard case .success(let prediction) = reading else {
            throw MalformedFrame(detail: "the answer is not a valid Cog prediction")
        }
        switch prediction.status {
        case "succeeded":
            var events: [StreamEvent] = [.start(id: prediction.id ?? "", model: "", created: 0), .role(choice: 0, role: "assistant")]
            if let output = prediction.output, !output.isEmpty { events.append(.text(choice: 0, text: output)) }
            events.append(.finish(choice: 0, reason: FinishReason.stop))
            return events
        case "canceled":
            return [.error(message: "the prediction was canceled", type: "canceled")]
        default:
            return [.error(message: prediction.error ?? "the prediction failed", type: "failed")]
        }
    }
}
