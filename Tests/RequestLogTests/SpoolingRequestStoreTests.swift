import Logging
import PostgresTestServer
import RequestLog
import Synchronization
import Testing

@Suite(
    "PostgreSQL sink with a local spool: PostgreSQL stopped and restarted under load", .postgresServer, .serialized,
    .enabled(if: PostgresTestServer.isAvailable), .timeLimit(.minutes(3)))
struct SpoolingRequestStoreTests {
    @Test("PostgreSQL killed (pg_ctl stop -m immediate) and restarted while records stream in: the database ends with every record exactly once (count and ids) and the spool empty")
    func stopAndRestartUnderLoad() async throws {
        let server = try PostgresTestServer.suiteServer()
        let settings = try server.settings(statementTimeout: .seconds(1))
        let directory = try TemporaryDirectory()
        let observer = SpoolObserver()
        let store = SpoolingRequestStore(
            primary: PostgresRequestStore(settings: settings, logger: quietLogger),
            spool: try SQLiteRequestStore(path: directory.path("spool.sqlite")), drainBatchRows: 200, observer: observer,
            logger: quietLogger)
        let writer = RequestLogWriter(
            store: store, settings: .init(batchInterval: .milliseconds(20), batchRows: 100), observer: observer,
            logger: quietLogger)
        let storeTask = Task { await store.run() }
        let writerTask = Task { try await writer.run() }
        defer {
            writerTask.cancel()
            storeTask.cancel()
        }
        let produced = Atomic<Int>(0)
        let producing = Atomic<Bool>(true)
        // A steady stream: a record every 2 ms, until told to stop.
        let producer = Task {
            while producing.load(ordering: .relaxed) {
                let index = produced.load(ordering: .relaxed)
                #expect(writer.record(Sample.record(id: "s\(index)", at: 1_700_000_000_000 + Int64(index))))
                produced.store(index + 1, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        try await observer.wait("300 rows in PostgreSQL") { $0.written >= 300 }
        try await server.stopInBackground()
        let stoppedAt = produced.load(ordering: .relaxed)
        // Recording goes on while PostgreSQL is down: at least 200 new records, and 200 rows in the spool.
        try await observer.wait("200 records spooled while PostgreSQL is down") { state in
            state.spooled >= 200 && produced.load(ordering: .relaxed) - stoppedAt >= 200
        }
        try await server.startInBackground()
        let restartedAt = produced.load(ordering: .relaxed)
        // Back: the spool drains, and new batches go straight to PostgreSQL again.
        try await observer.wait("the spool drained after the restart", within: .seconds(60)) { $0.depth == 0 && $0.drained }
        try await observer.wait("300 more records after the restart") { _ in produced.load(ordering: .relaxed) - restartedAt >= 300 }
        producing.store(false, ordering: .relaxed)
        await producer.value
        let total = produced.load(ordering: .relaxed)
        writer.finish()
        try await observer.wait("every record committed by the writer, and the spool empty", within: .seconds(60)) { state in
            state.committed >= total && state.depth == 0
        }
        try await writerTask.value
        let check = PostgresRequestStore(settings: settings, logger: quietLogger)
        try await withRunning(check) {
            let ids = try await check.allRequestIDs()
            #expect(ids.count == total)
            #expect(Set(ids) == Set((0..<total).map { "s\($0)" }))
            #expect(try await check.count() == total)
        }
        #expect(try await store.spooledRows() == 0)
        #expect(observer.snapshot.spooledEver >= 200)
        print("spool test: \(total) records, \(observer.snapshot.spooledEver) of them spooled while PostgreSQL was stopped")
    }
}

/// Counts what the writer and the spool report, and lets a test wait for a condition on them, woken by each report.
final class SpoolObserver: RequestLogObserver {
    struct State: Sendable {
        /// Rows committed by the writer (to PostgreSQL or the spool).
        var committed = 0
        var spooledEver = 0
        var depth = 0
        /// Whether the spool went from holding rows to empty.
        var drained = false
        /// Rows that reached PostgreSQL straight from the writer.
        var written: Int { committed - spooledEver }
        var spooled: Int { spooledEver }
    }

    private let state = Mutex(State())
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation

    init() {
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var snapshot: State { state.withLock { $0 } }

    func batchWritten(rows: Int, seconds: Double) { update { $0.committed += rows } }
    func queueDepth(_ depth: Int) {}
    func rowsDropped(_ rows: Int) {}
    func batchFailed() {}
    func rowsSpooled(_ rows: Int) { update { $0.spooledEver += rows } }
    func spoolDepth(_ depth: Int) {
        update { state in
            if depth == 0, state.depth > 0 { state.drained = true }
            state.depth = depth
        }
    }

    private func update(_ change: (inout State) -> Void) {
        state.withLock { change(&$0) }
        changed.yield()
    }

    /// Waits until `condition` holds, checking it at each report (and every 50 ms, for conditions on outside
    /// state); fails after `limit`.
    func wait(
        _ what: String, within limit: Duration = .seconds(30), _ condition: @escaping @Sendable (State) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + limit
        while !condition(snapshot) {
            guard ContinuousClock.now < deadline else { throw WaitFailed(what: what, state: snapshot) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [changes] in
                    var iterator = changes.makeAsyncIterator()
                    _ = await iterator.next()
                }
                group.addTask { try await Task.sleep(for: .milliseconds(50)) }
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    struct WaitFailed: Error, CustomStringConvertible {
        let what: String
        let state: State
        var description: String { "timed out waiting for \(what) (\(state))" }
    }
}
