import EdgeJSON
/// Decodes an OpenAI chat-completion SSE stream, event by event, into ``UpstreamFrame``s.
public struct OpenAIStreamDecoder: ProviderStreamDecoder {
    private var started = false
    public private(set) var isAnswerFinished = false

    /// A decoder at the start of a stream.
    public init() {}

    /// Decodes the event's data: a chunk, `[DONE]`, or nothing.
    public mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> StreamDecoded {
        let data = event.data
        if data.isEmpty { return .skip }
        if data.count == 6, data.elementsEqual("[DONE]".utf8) { return .done }
        let wantsStart = !started
        let reading = data.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) in try OpenAIChunk.read(bytes, wantsStart: wantsStart) }
        }
        switch reading {
        case .success(let chunk):
            if chunk.started { started = true }
            if !isAnswerFinished { isAnswerFinished = chunk.events.contains { if case .finish = $0 { true } else { false } } }
            return .frame(UpstreamFrame(payload: data, events: chunk.events, isUsageOnly: chunk.isUsageOnly))
        case .failure:
            // One detail for syntax and type errors alike, as before: failover only needs "malformed".
            throw MalformedFrame(detail: "a stream frame is not valid JSON")
        }
    }
}
