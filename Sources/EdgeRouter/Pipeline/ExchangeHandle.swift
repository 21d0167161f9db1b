import Synchronization

/// Lets an event outside the exchange (the client leaving) stop it at once, and lets the exchange tell that stop
/// from a failure of the provider's.
///
/// The disconnect monitor lives on the NIO event loop and cannot join the request's structured concurrency. The
/// exchange tells the handle what it is waiting on (its race's mailbox, then the winning call), and a stop wakes
/// that wait: the race ends as cancelled, the call is cancelled, which closes its upstream connection.
final class ExchangeHandle: Sendable {
    /// Why the exchange was stopped from outside.
    enum StopReason: Sendable, Equatable {
        /// The client closed its side of the connection or the connection dropped.
        case clientGone
    }

    /// What the exchange waits on.
    enum Wait: Sendable {
        case race(RaceMailbox)
        case stream(UpstreamCall)
    }

    private struct State {
        var wait: Wait?
        var reason: StopReason?
    }

    private let state = Mutex(State())

    /// Records what the exchange now waits on. Returns false, and records nothing, if the exchange was stopped
    /// already: the caller must then give up at once.
    func waiting(on wait: Wait?) -> Bool {
        state.withLock { state in
            guard state.reason == nil else { return false }
            state.wait = wait
            return true
        }
    }

    /// Stops the exchange; the first reason given is the one kept.
    func stop(_ reason: StopReason) {
        let wait = state.withLock { state in
            if state.reason == nil { state.reason = reason }
            defer { state.wait = nil }
            return state.wait
        }
        switch wait {
        case .race(let mailbox): mailbox.post(.cancelled)
        case .stream(let call): call.cancel()
        case nil: break
        }
    }

    /// Why the exchange was stopped, if it was.
    var stopReason: StopReason? { state.withLock { $0.reason } }
}
