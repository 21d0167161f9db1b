import EdgeJSON
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
public struct OpenAIStreamDecoder {
    /// What one SSE event turned out to be.
    public enum Decoded {
        case frame(UpstreamFrame)
        /// `data: [DONE]`: the stream is complete.
        case done
        /// Nothing to act on (an empty data line).
        case skip
    }

    /// The provider sent something that is not an OpenAI chunk.
    public struct MalformedFrame: Error {
        /// What is wrong, for the client and the logs.
        public var detail: String
    }

    private var started = false

    /// A decoder at the start of a stream.
    public init() {}

    /// Decodes the event's data: a chunk, `[DONE]`, or nothing.
    public mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> Decoded {
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
            return .frame(UpstreamFrame(payload: data, events: chunk.events, isUsageOnly: chunk.isUsageOnly))
        case .failure:
            // One detail for syntax and type errors alike, as before: failover only needs "malformed".
            throw MalformedFrame(detail: "a stream frame is not valid JSON")
        }
    }
}
