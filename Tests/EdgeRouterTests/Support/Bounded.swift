// Shared by every test target through symbolic links (Tests/*/Support/Bounded.swift): a test target cannot import
// another's code, and one copy keeps the bounds the same everywhere.
import Synchronization

/// A wait in a test that ran out of time.
struct TimedOut: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    var description: String { "\(what) did not happen within \(limit)" }
}

/// What `operation` returns, or ``TimedOut`` once `limit` has passed, or `CancellationError` when the waiting task
/// is cancelled (a suite's time limit cancels it): a regression fails the test instead of hanging it.
///
/// The operation runs in a task of its own, cancelled when the wait ends early; if it does not heed cancellation it
/// is left behind rather than waited for, which is what makes the bound hold whatever the operation does (a task
/// group would wait for it).
func bounded<Value: Sendable>(
    _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let once = ResumeOnce<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            once.arm(continuation)
            let work = Task {
                do {
                    once.resume(with: .success(try await operation()))
                } catch {
                    once.resume(with: .failure(error))
                }
            }
            once.onEnd { work.cancel() }
            Task {
                try? await Task.sleep(for: limit)
                once.resume(with: .failure(TimedOut(what: what, limit: limit)))
            }
        }
    } onCancel: {
        once.resume(with: .failure(CancellationError()))
    }
}

/// The first element of `stream` (a port a server reports once it listens, say), within `limit`.
func first<Element: Sendable>(of stream: AsyncStream<Element>, within limit: Duration = .seconds(30), _ what: String)
    async throws -> Element
{
    try await bounded(limit, what) {
        var iterator = stream.makeAsyncIterator()
        guard let element = await iterator.next() else { throw TimedOut(what: what, limit: limit) }
        return element
    }
}

/// A continuation resumed by whichever comes first: the result, the deadline or cancellation.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        /// A result that came before the continuation was armed (cancellation can).
        var early: Result<Value, any Error>?
        var ended = false
        var onEnd: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    func arm(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = state.withLock { state -> Result<Value, any Error>? in
            guard let early = state.early else {
                state.continuation = continuation
                return nil
            }
            return early
        }
        if let early { continuation.resume(with: early) }
    }

    /// Runs `action` when the wait ends (at once if it has).
    func onEnd(_ action: @escaping @Sendable () -> Void) {
        let ended = state.withLock { state in
            if !state.ended { state.onEnd.append(action) }
            return state.ended
        }
        if ended { action() }
    }

    func resume(with result: Result<Value, any Error>) {
        let (continuation, actions) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, [@Sendable () -> Void]) in
            guard !state.ended else { return (nil, []) }
            state.ended = true
            let actions = state.onEnd
            state.onEnd = []
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, actions)
            }
            state.continuation = nil
            return (continuation, actions)
        }
        continuation?.resume(with: result)
        for action in actions { action() }
    }
}
