/// How an exchange's first-token phase ended.
///
/// With ``ExchangeStep`` this is the seam for resumable streams: appending each step to a per-stream buffer lets
/// a client that reconnects read the rest.
enum ExchangeVerdict: Sendable {
    /// A deployment produced its first token (or a complete empty answer): the response can start.
    case started(ExchangeStart)
    /// No deployment could answer; the error is the client's.
    case failed(EdgeRouterError)
    /// The exchange was stopped (the client left, or the request's task was cancelled).
    case cancelled
}

/// What reading on after the first token gave: frames, then `completed`, `failed` (the stream broke off after the
/// first token) or `cancelled`.
enum ExchangeStep: Sendable {
    case frame(UpstreamFrame)
    case completed
    case failed(EdgeRouterError)
    case cancelled
}

/// The attempt that produced the first token. Its frames, from the first one on, are read with
/// ``ChatExchange/next(_:)``.
struct ExchangeStart: Sendable {
    var candidate: RouteCandidate
    var deployment: Deployment { candidate.deployment }
    var call: UpstreamCall
    var reason: RouteReason
    /// Attempts made, this one included.
    var attempts: Int
    var timeToFirstByte: Duration
    var timeToFirstToken: Duration
}
