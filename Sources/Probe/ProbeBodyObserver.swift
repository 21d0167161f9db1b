/// Watches a probe's response body as it arrives and decides when the first content
/// token has been seen.
///
/// The engine creates one observer per probe, through `ProbeRequest.bodyObserver`, and
/// calls it only on its own thread, one call at a time, so conforming types need not be
/// `Sendable`. Only bodies of 2xx responses are passed to it. Calls must be quick: the
/// engine thread serves every concurrent probe, and a slow observer delays them all.
public protocol ProbeBodyObserver {
    /// Consumes the next bytes of the body, in arrival order, exactly as received
    /// (chunk boundaries are arbitrary: an SSE line may be split across calls).
    /// The buffer is only valid during the call.
    mutating func consume(_ bytes: UnsafeRawBufferPointer) -> ProbeBodyVerdict
}

/// What a `ProbeBodyObserver` concluded from the bytes it was given.
public enum ProbeBodyVerdict: Sendable, Hashable {
    /// Nothing decisive yet; keep receiving.
    case `continue`
    /// These bytes completed the first content token. The engine timestamps this call;
    /// only the first such verdict of a probe counts.
    case firstToken
    /// The stream reported an error (for example an SSE error event). The engine stops
    /// the transfer and reports a `ProbeError.Code.stream` error carrying the message.
    case failed(String)
}

/// The observer used when a request has none: the first non-empty body chunk is the
/// first token. Useful for non-streaming endpoints; streaming LLM probes should supply
/// a real detector, because role-only and keep-alive events are not content.
public struct FirstBodyByteObserver: ProbeBodyObserver {
    /// Creates the observer.
    public init() {}

    /// Reports `.firstToken` for any non-empty chunk.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) -> ProbeBodyVerdict {
        bytes.isEmpty ? .continue : .firstToken
    }
}
