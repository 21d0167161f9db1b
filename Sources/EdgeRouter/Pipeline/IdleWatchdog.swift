import Synchronization

/// Cancels a body of work that stops making progress for longer than a timeout.
///
/// One watchdog task per stream, sleeping until the last progress plus the timeout, costs far less than a timer
/// per chunk; the body calls ``progress()`` after each piece of data.
final class IdleWatchdog: Sendable {
    /// The work made no progress within the timeout.
    struct Expired: Error {}

    private let lastProgress: Atomic<Int64>
    private let epoch = ContinuousClock.now

    private init() {
        lastProgress = Atomic(0)
    }

    /// Notes that data arrived.
    func progress() {
        lastProgress.store(Self.offset(since: epoch), ordering: .relaxed)
    }

    private static func offset(since epoch: ContinuousClock.Instant) -> Int64 {
        (ContinuousClock.now - epoch).nanoseconds
    }

    /// Runs `body`; throws ``Expired`` (and cancels the body) when it goes `timeout` without progress.
    static func run<Value: Sendable>(
        timeout: Duration, _ body: @escaping @Sendable (IdleWatchdog) async throws -> Value
    ) async throws -> Value {
        let watchdog = IdleWatchdog()
        watchdog.progress()
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await body(watchdog) }
            group.addTask {
                let timeoutNanos = timeout.nanoseconds
                while true {
                    let last = watchdog.lastProgress.load(ordering: .relaxed)
                    let wake = watchdog.epoch + .nanoseconds(last + timeoutNanos)
                    try await Task.sleep(until: wake, clock: .continuous)
                    if watchdog.lastProgress.load(ordering: .relaxed) == last { throw Expired() }
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}
