import EdgeWire
import RoutingCore

/// What reading on after the first token gave: frames, then `completed` or `failed` (the stream broke off after
/// the first token).
///
/// This is the seam for resumable streams: appending each step to a per-stream buffer lets a client that
/// reconnects read the rest.
enum ExchangeStep: Sendable {
    case frame(UpstreamFrame)
    case completed
    case failed(EdgeRouterError)
    /// The client left its stream unwritable for longer than `server.timeouts.client_stall_ms`: its connection is
    /// cut, nothing more is written.
    case clientStalled
}

/// The attempt that produced the first token.
struct ExchangeStart: Sendable {
    var candidate: RouteCandidate
    var deployment: Deployment { candidate.deployment }
    var reason: RouteReason
    /// Attempts made, this one included.
    var attempts: Int
    var timeToFirstByte: Duration
    var timeToFirstToken: Duration

    /// The route reason as `x-edge-route-reason` and the request log give it: the reason, and `, whole-answer` when
    /// the deployment does not stream (a Cog predictor without `@cog.streaming`), whose first token is its whole
    /// answer, so its TTFT is the whole prediction.
    var reasonText: String {
        deployment.provider.streams ? reason.rawValue : reason.rawValue + ", whole-answer"
    }
}
