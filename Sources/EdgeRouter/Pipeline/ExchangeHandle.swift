import Synchronization

/// The task that runs one ``ChatExchange``, so that an event outside it (the client leaving) can stop it, and so
/// that the exchange can tell that cancellation from a failure of the provider's.
///
/// The disconnect monitor lives on the NIO event loop and cannot join the exchange's structured concurrency;
/// cancelling its task through this handle is how it reaches it.
final class ExchangeHandle: Sendable {
    /// Why the exchange was stopped from outside.
    enum StopReason: Sendable, Equatable {
        /// The client closed its side of the connection or the connection dropped.
        case clientGone
    }

    private struct State {
        var task: Task<Void, Never>?
        var reason: StopReason?
    }

    private let state = Mutex(State())

    /// Runs `operation` in a task of its own; if the handle was stopped already, that task starts cancelled.
    func start(_ operation: @escaping @Sendable () async -> Void) {
        let task = Task(operation: operation)
        let stoppedAlready = state.withLock { state in
            state.task = task
            return state.reason != nil
        }
        if stoppedAlready { task.cancel() }
    }

    /// Cancels the exchange's task; the first reason given is the one kept.
    func stop(_ reason: StopReason) {
        let task = state.withLock { state in
            if state.reason == nil { state.reason = reason }
            return state.task
        }
        task?.cancel()
    }

    /// Why the exchange was stopped, if it was.
    var stopReason: StopReason? { state.withLock { $0.reason } }
}
