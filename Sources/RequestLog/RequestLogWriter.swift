#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Logging
import Synchronization

/// What the writer reports, for metrics: the router implements it with its Prometheus registry.
public protocol RequestLogObserver: Sendable {
    /// A batch of `rows` was committed in `seconds`.
    func batchWritten(rows: Int, seconds: Double)
    /// Rows waiting to be written now.
    func queueDepth(_ depth: Int)
    /// `rows` were refused because the queue was full (the store is slower than the traffic).
    func rowsDropped(_ rows: Int)
    /// A batch failed to commit; it is retried.
    func batchFailed()
    /// `rows` the PostgreSQL sink could not take went to the local spool (``SpoolingRequestStore``).
    func rowsSpooled(_ rows: Int)
    /// Rows waiting in the local spool now, for PostgreSQL to be back.
    func spoolDepth(_ depth: Int)
}

extension RequestLogObserver {
    /// Nothing: only the PostgreSQL sink spools.
    public func rowsSpooled(_ rows: Int) {}
    /// Nothing: only the PostgreSQL sink spools.
    public func spoolDepth(_ depth: Int) {}
}

/// Writes request records off the request path: ``record(_:)`` only appends to a bounded queue; the service
/// commits what is queued in batches, every ``Settings/batchInterval`` or as soon as ``Settings/batchRows`` are
/// waiting, whichever comes first.
///
/// ``finish()`` makes ``run()`` drain the queue and return: the router calls it once its server has drained its
/// requests (and recorded them) after SIGTERM, so that a graceful stop loses nothing. A crash
/// loses what is queued and not yet committed: at most one batch interval of rows, plus the batch being committed.
/// A batch that fails is retried with backoff and never dropped; rows keyed by request id make a replay harmless.
public final class RequestLogWriter: Sendable {
    /// How the writer batches.
    public struct Settings: Sendable, Equatable {
        /// Longest a record waits in the queue before its batch is committed.
        public var batchInterval: Duration
        /// A batch is committed as soon as this many rows wait (and is never larger).
        public var batchRows: Int
        /// Most rows waiting; beyond it records are dropped and counted (the log must never take the node's memory).
        public var queueCapacity: Int
        /// Records received earlier than this many days ago are deleted, hourly; nil keeps everything.
        public var retentionDays: Int?

        public init(
            batchInterval: Duration = .milliseconds(100), batchRows: Int = 500, queueCapacity: Int = 100_000,
            retentionDays: Int? = nil
        ) {
            self.batchInterval = batchInterval
            self.batchRows = max(1, batchRows)
            self.queueCapacity = max(1, queueCapacity)
            self.retentionDays = retentionDays
        }
    }

    private struct State {
        var queue: [RequestRecord] = []
        /// The run loop waiting for rows; resumed by a record, a timer or shutdown.
        var waiter: CheckedContinuation<Void, Never>?
        /// Rows that make a waiting run loop go on at once.
        var wakeAt = 1
        /// Which wait a timer belongs to: a timer of an earlier wait must not cut a later one short.
        var generation = 0
        var stopping = false
        var stopped = false
        var dropped = 0
    }

    public let store: any RequestStore
    public let settings: Settings
    private let observer: (any RequestLogObserver)?
    private let logger: Logger
    private let state = Mutex(State())

    public init(store: any RequestStore, settings: Settings = .init(), observer: (any RequestLogObserver)? = nil, logger: Logger) {
        self.store = store
        self.settings = settings
        self.observer = observer
        self.logger = logger
    }

    /// Queues `record` for the next batch. Never waits; returns false when the record was dropped (queue full, or
    /// the writer has stopped).
    @discardableResult
    public func record(_ record: RequestRecord) -> Bool {
        let (accepted, waiter, depth) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?, Int) in
            guard !state.stopped, state.queue.count < settings.queueCapacity else {
                state.dropped += 1
                return (false, nil, state.queue.count)
            }
            state.queue.append(record)
            guard state.queue.count >= state.wakeAt, let waiter = state.waiter else { return (true, nil, state.queue.count) }
            state.waiter = nil
            return (true, waiter, state.queue.count)
        }
        waiter?.resume()
        if !accepted { observer?.rowsDropped(1) }
        observer?.queueDepth(depth)
        return accepted
    }

    /// Rows waiting to be written.
    public var queueDepth: Int { state.withLock { $0.queue.count } }

    /// Commits batches until ``finish()`` is called (or the task is cancelled), then commits what is left and
    /// returns.
    public func run() async throws {
        var nextRetention = ContinuousClock.now
        await withTaskCancellationHandler {
            while true {
                if let retentionDays = settings.retentionDays, ContinuousClock.now >= nextRetention {
                    await enforceRetention(days: retentionDays)
                    nextRetention = .now + .seconds(3600)
                }
                // Wait for a first row, then for the batch to fill or its interval to pass.
                guard await waitFor(rows: 1, timeout: nil) else { break }
                _ = await waitFor(rows: settings.batchRows, timeout: settings.batchInterval)
                await commitQueued()
            }
            // Stopping: whatever is left goes out, batch by batch.
            await commitQueued()
        } onCancel: {
            finish()
        }
        let dropped = state.withLock { $0.dropped }
        logger.info("request log writer stopped", metadata: ["dropped_rows": "\(dropped)"])
    }

    /// Stops taking records; ``run()`` commits what is queued and returns. Call it once nothing more will be
    /// recorded: the router does when its server has drained its requests.
    public func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.stopping = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Waits until `rows` are queued, `timeout` passes, or the writer stops. Returns false when stopping.
    private func waitFor(rows: Int, timeout: Duration?) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let generation = state.withLock { state -> Int? in
                if state.stopping || state.queue.count >= rows { return nil }
                state.generation += 1
                state.wakeAt = rows
                state.waiter = continuation
                return state.generation
            }
            guard let generation else {
                continuation.resume()
                return
            }
            if let timeout {
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.timerFired(generation: generation)
                }
            }
        }
        return state.withLock { !$0.stopping }
    }

    private func timerFired(generation: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.generation == generation else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Commits everything queued now, in batches of at most ``Settings/batchRows``.
    private func commitQueued() async {
        while true {
            let (batch, final) = state.withLock { state -> ([RequestRecord], Bool) in
                let count = min(state.queue.count, settings.batchRows)
                let batch = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                if state.stopping, state.queue.isEmpty { state.stopped = true }
                return (batch, state.queue.isEmpty)
            }
            observer?.queueDepth(queueDepth)
            if !batch.isEmpty { await commit(batch) }
            if final { return }
        }
    }

    /// Commits one batch, retrying with backoff until it is stored (or, when stopping, a few times).
    private func commit(_ batch: [RequestRecord]) async {
        var delay = Duration.milliseconds(100)
        var attempt = 0
        while true {
            attempt += 1
            let started = ContinuousClock.now
            do {
                try await store.insert(batch)
                let elapsed = ContinuousClock.now - started
                observer?.batchWritten(rows: batch.count, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                return
            } catch {
                observer?.batchFailed()
                let stopping = state.withLock { $0.stopping }
                if stopping, attempt >= 5 {
                    logger.error(
                        "request log: giving up on a batch while stopping", metadata: ["rows": "\(batch.count)", "error": "\(error)"])
                    return
                }
                logger.warning("request log: batch not committed, retrying", metadata: ["rows": "\(batch.count)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    private func enforceRetention(days: Int) async {
        let cutoff = UnixTime.nowMs() - Int64(days) * 86_400_000
        do {
            let deleted = try await store.deleteRecords(receivedBefore: cutoff)
            if deleted > 0 { logger.info("request log: retention deleted old records", metadata: ["rows": "\(deleted)"]) }
        } catch {
            logger.warning("request log: retention failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Wall-clock time as the log keeps it.
public enum UnixTime {
    /// Milliseconds since the Unix epoch, now.
    public static func nowMs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec / 1_000_000)
    }
}
