import Synchronization

/// Runs an operation with a deadline that holds even when the operation ignores cancellation: a database client
/// waiting on a socket that went silent must not hold the log's writer. On time-out the operation's task is
/// cancelled and left to end on its own; its result, if any, is ignored (the log's writes are idempotent, so a
/// batch that commits after its deadline and is written again later keeps one row).
enum Deadline {
    /// The operation's value, or nil when `limit` passed first.
    static func run<T: Sendable>(
        _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let race = Race<T>()
        let value: T? = try await withCheckedThrowingContinuation { continuation in
            race.begin(continuation)
            let work = Task {
                do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                race.finish(.success(nil))
            }
            race.track([work, timer])
        }
        race.cancelAll()
        return value
    }

    /// The first of the operation and the timer to finish resumes the caller; the other is ignored.
    private final class Race<T: Sendable>: Sendable {
        /// A struct, not a tuple: a `withLock` closure over a tuple mangles without `sending`, which the thread
        /// sanitizer's suppression of Mutex hand-offs (scripts/tsan-suppressions.txt) recognises the closures by.
        private struct State {
            var continuation: CheckedContinuation<T?, any Error>?
            var tasks: [Task<Void, Never>] = []
        }

        private let state = Mutex(State())

        func begin(_ continuation: CheckedContinuation<T?, any Error>) {
            state.withLock { $0.continuation = continuation }
        }

        func track(_ tasks: [Task<Void, Never>]) {
            state.withLock { $0.tasks = tasks }
        }

        func finish(_ result: Result<T?, any Error>) {
            state.withLock { state in
                defer { state.continuation = nil }
                return state.continuation
            }?.resume(with: result)
        }

        func cancelAll() {
            for task in state.withLock({ $0.tasks }) { task.cancel() }
        }
    }
}
