import Logging
import Synchronization

/// The PostgreSQL sink with a local spool: batches go to PostgreSQL; a batch PostgreSQL refuses, or does not take
/// within its statement deadline, goes to a SQLite file on the node instead, and ``run()`` moves the spooled rows
/// to PostgreSQL once it answers again. The writer never waits on an unreachable database, and no row is lost.
///
/// - Order: the drainer moves spooled rows oldest first, in batches; once PostgreSQL has taken one (a drain
///   succeeded), new batches go straight to it again while older spooled rows are still being moved.
/// - No duplicate: a spooled batch is deleted from the spool only after PostgreSQL committed it, and PostgreSQL
///   keeps one row per request id (`ON CONFLICT DO NOTHING`), so a crash between the two, or a batch that timed
///   out here but committed there, is written twice and stored once.
/// - Reads (``spend(_:)``, ``requests(_:)``, ``costByKey(sinceMs:)``) go to PostgreSQL: spooled rows show there
///   once drained.
public final class SpoolingRequestStore: RequestStore {
    /// Where the rows belong.
    public let primary: PostgresRequestStore
    /// Where they wait while PostgreSQL is away.
    public let spool: SQLiteRequestStore
    private let drainBatchRows: Int
    private let observer: (any RequestLogObserver)?
    private let logger: Logger
    /// Whether the last write to PostgreSQL failed: batches then go to the spool at once, rather than each
    /// waiting for the database's deadline, until the drainer has moved a batch.
    private let primaryDown = Atomic<Bool>(false)
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - drainBatchRows: rows moved from the spool per PostgreSQL transaction.
    ///   - observer: told of spooled rows and the spool's depth.
    public init(
        primary: PostgresRequestStore, spool: SQLiteRequestStore, drainBatchRows: Int = 500,
        observer: (any RequestLogObserver)? = nil, logger: Logger
    ) {
        self.primary = primary
        self.spool = spool
        self.drainBatchRows = max(1, drainBatchRows)
        self.observer = observer
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs PostgreSQL's connection pool and the spool's drainer until the task is cancelled. Rows spooled by an
    /// earlier run are moved first.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.primary.run() }
            group.addTask { await self.drainWhenSpooled() }
        }
    }

    /// Rows waiting in the spool.
    public func spooledRows() async throws(RequestLogError) -> Int {
        try await spool.count()
    }

    // MARK: RequestStore

    public func insert(_ batch: [RequestRecord]) async throws(RequestLogError) {
        guard !batch.isEmpty else { return }
        if !primaryDown.load(ordering: .relaxed) {
            do {
                try await primary.insert(batch)
                return
            } catch {
                if !primaryDown.exchange(true, ordering: .relaxed) {
                    logger.warning(
                        "request log: PostgreSQL refused a batch; spooling to the local file until it is back",
                        metadata: ["rows": "\(batch.count)", "spool": "\(spool.path)", "error": "\(error.message)"])
                }
            }
        }
        // Thrown on: the writer retries the batch (PostgreSQL first, if it is back by then).
        try await spool.insert(batch)
        observer?.rowsSpooled(batch.count)
        await reportDepth()
        wake.yield()
    }

    public func spend(_ query: SpendQuery) async throws(RequestLogError) -> [SpendRow] { try await primary.spend(query) }

    public func requests(_ query: RequestQuery) async throws(RequestLogError) -> [RequestRecord] {
        try await primary.requests(query)
    }

    public func costByKey(sinceMs: Int64) async throws(RequestLogError) -> [String: Double] {
        try await primary.costByKey(sinceMs: sinceMs)
    }

    /// Counts a resume in PostgreSQL; while it is unreachable the count is lost (a resume is not spend).
    public func addResume(requestID: String) async throws(RequestLogError) {
        try await primary.addResume(requestID: requestID)
    }

    /// Deletes from PostgreSQL. Spooled rows are left alone: they are deleted there, by a later pass, once moved.
    public func deleteRecords(receivedBefore beforeMs: Int64) async throws(RequestLogError) -> Int {
        try await primary.deleteRecords(receivedBefore: beforeMs)
    }

    /// Stored Responses API responses live in PostgreSQL, shared by the fleet; while it is unreachable a save or
    /// delete is lost there (the node still holds the response in memory).
    public func saveResponse(_ response: StoredResponse) async throws(RequestLogError) {
        try await primary.saveResponse(response)
    }

    @discardableResult
    public func deleteResponse(id: String, keyID: String) async throws(RequestLogError) -> Bool {
        try await primary.deleteResponse(id: id, keyID: keyID)
    }

    public func storedResponse(id: String, keyID: String) async throws(RequestLogError) -> StoredResponse? {
        try await primary.storedResponse(id: id, keyID: keyID)
    }

    public func storedResponses(limit: Int) async throws(RequestLogError) -> [StoredResponse] {
        try await primary.storedResponses(limit: limit)
    }

    // MARK: Draining

    /// Waits for spooled rows (a wake-up from ``insert(_:)``, or rows left by an earlier run), then moves them.
    private func drainWhenSpooled() async {
        wake.yield()
        for await _ in wakeups {
            await drain()
            if Task.isCancelled { return }
        }
    }

    /// Moves spooled rows to PostgreSQL, oldest batch first, until the spool is empty; retries with backoff while
    /// PostgreSQL is away. Returns early only when cancelled (the rows stay spooled for the next run).
    private func drain() async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                guard let (records, throughRowID) = try await spool.oldest(limit: drainBatchRows) else {
                    await reportDepth()
                    return
                }
                try await primary.insert(records)
                // Only now: a crash before this line leaves the batch spooled, and moving it again stores nothing twice.
                _ = try await spool.deleteSpooled(throughRowID: throughRowID)
                if primaryDown.exchange(false, ordering: .relaxed) {
                    logger.info("request log: PostgreSQL is back; draining the spool", metadata: ["spool": "\(spool.path)"])
                }
                delay = .milliseconds(100)
                await reportDepth()
            } catch {
                primaryDown.store(true, ordering: .relaxed)
                logger.debug("request log: spool not drained yet", metadata: ["error": "\(error.message)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    private func reportDepth() async {
        guard let observer else { return }
        if let depth = try? await spool.count() { observer.spoolDepth(depth) }
    }
}
