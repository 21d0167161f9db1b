/// What the exchange tells the client side, in order: `started` or `failed` first; after `started`, frames and
/// then `completed` or `failed` (an interruption after the first token).
///
/// This sequence is the seam for resumable streams: appending each signal to a per-stream buffer lets a client
/// that reconnects read the rest.
enum ExchangeSignal: Sendable {
    case started(ExchangeStart)
    case frame(UpstreamFrame)
    case completed
    case failed(EdgeRouterError)
}

/// The attempt that produced the first token, and what it sent up to it.
struct ExchangeStart: Sendable {
    var candidate: RouteCandidate
    var deployment: Deployment { candidate.deployment }
    var reason: RouteReason
    /// Attempts made, this one included.
    var attempts: Int
    var frames: [UpstreamFrame]
    var timeToFirstByte: Duration
    var timeToFirstToken: Duration
}
