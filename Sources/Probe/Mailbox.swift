import Synchronization

/// Hands work from any thread to the engine thread: new probes, cancellations and the
/// shutdown request, guarded by a `Mutex`, with `curl_multi_wakeup` to interrupt the
/// engine thread's `curl_multi_poll` when something arrives.
///
/// Once the engine thread has closed the mailbox, nothing more is accepted and no wakeup
/// is sent, which is what lets the engine thread free the multi handle safely.
final class Mailbox: Sendable {
    /// What the engine thread takes out in one go.
    struct Delivery {
        var submissions: [Submission] = []
        var cancellations: [ProbeID] = []
        var shutdownRequested = false
    }

    private struct State {
        var delivery = Delivery()
        /// `nil` once closed: the engine thread no longer polls and the multi may be gone.
        var wakeup: MultiWakeup?
    }

    private let state: Mutex<State>
    private let lastID = Atomic<UInt64>(0)

    init(wakeup: MultiWakeup) {
        state = Mutex(State(wakeup: wakeup))
    }

    /// A fresh probe identifier (1, 2, 3... per engine).
    func makeID() -> ProbeID {
        ProbeID(value: lastID.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    /// Queues a probe for the engine thread. Returns `false`, without queueing, if the
    /// engine is shutting down or has shut down; the caller then fails the probe.
    func submit(_ submission: Submission) -> Bool {
        state.withLock { state in
            guard let wakeup = state.wakeup, !state.delivery.shutdownRequested else { return false }
            state.delivery.submissions.append(submission)
            wakeup.wake()
            return true
        }
    }

    /// Asks the engine thread to stop the probe `id`, queued or running. Harmless if it
    /// already finished or was never submitted.
    func cancel(_ id: ProbeID) {
        state.withLock { state in
            guard let wakeup = state.wakeup else { return }
            state.delivery.cancellations.append(id)
            wakeup.wake()
        }
    }

    /// Asks the engine thread to fail every probe and exit. Idempotent.
    func requestShutdown() {
        state.withLock { state in
            guard let wakeup = state.wakeup, !state.delivery.shutdownRequested else { return }
            state.delivery.shutdownRequested = true
            wakeup.wake()
        }
    }

    /// Takes everything delivered since the last call (engine thread only). The shutdown
    /// flag stays set once raised, so `submit` keeps refusing work.
    func take() -> Delivery {
        state.withLock { state in
            let delivery = state.delivery
            state.delivery.submissions = []
            state.delivery.cancellations = []
            return delivery
        }
    }

    /// Closes the mailbox for good (engine thread only, before it frees the multi handle)
    /// and returns submissions that arrived since the last `take`, for the caller to fail.
    func close() -> [Submission] {
        state.withLock { state in
            state.wakeup = nil
            state.delivery.shutdownRequested = true
            let late = state.delivery.submissions
            state.delivery.submissions = []
            state.delivery.cancellations = []
            return late
        }
    }
}
