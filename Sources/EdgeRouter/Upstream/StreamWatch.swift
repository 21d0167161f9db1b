import EdgeWire
import NIOCore
import RoutingCore

/// The clock of one upstream stream: whether the provider has gone quiet, streamed for too long, or the client has
/// stopped reading for too long. A plain state machine over times the caller passes in, so it is tested without
/// waiting; ``UpstreamCall`` checks it from one timer per call, re-armed at ``nextCheck``, never per frame.
///
/// Time spent paused because the client is not reading is the client's: it counts neither as the provider's
/// silence (a resumed stream starts its idle clock afresh) nor towards the stream's length. A pause that lasts
/// longer than the client-stall limit is the client's fault, reported as such.
struct StreamWatch: Sendable {
    /// What a check found.
    enum Verdict: Equatable {
        /// All well; check again at `nextCheck`.
        case fine
        /// No read from the provider for the idle limit, while reading.
        case idle
        /// The stream has run for the stream limit (paused time not counted).
        case streamTooLong
        /// The client has left the stream paused for the stall limit.
        case clientStalled
    }

    let idleLimit: TimeAmount
    let streamLimit: TimeAmount
    let stallLimit: TimeAmount
    private let started: NIODeadline
    private var lastRead: NIODeadline
    private var pausedSince: NIODeadline?
    /// Paused time of the pauses that ended.
    private var pausedTotal: TimeAmount = .zero

    init(idle: Duration, stream: Duration, clientStall: Duration, now: NIODeadline) {
        idleLimit = .nanoseconds(idle.nanoseconds)
        streamLimit = .nanoseconds(stream.nanoseconds)
        stallLimit = .nanoseconds(clientStall.nanoseconds)
        started = now
        lastRead = now
    }

    /// Whether the stream is paused for its client.
    var isPaused: Bool { pausedSince != nil }

    /// The provider sent something.
    mutating func read(at now: NIODeadline) {
        lastRead = now
    }

    /// Reading stops until the client catches up.
    mutating func pause(at now: NIODeadline) {
        if pausedSince == nil { pausedSince = now }
    }

    /// Reading goes on: the pause is not the provider's silence.
    mutating func resume(at now: NIODeadline) {
        guard let since = pausedSince else { return }
        pausedSince = nil
        pausedTotal = pausedTotal + (now - since)
        lastRead = now
    }

    /// What the stream's clock says at `now`.
    func check(at now: NIODeadline) -> Verdict {
        if let since = pausedSince {
            return now - since >= stallLimit ? .clientStalled : .fine
        }
        if now - started - pausedTotal >= streamLimit { return .streamTooLong }
        if now - lastRead >= idleLimit { return .idle }
        return .fine
    }

    /// When a check can next find something (never earlier than it could matter).
    var nextCheck: NIODeadline {
        if let since = pausedSince { return since + stallLimit }
        return min(lastRead + idleLimit, started + pausedTotal + streamLimit)
    }
}
