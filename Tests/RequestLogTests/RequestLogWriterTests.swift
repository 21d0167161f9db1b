import Logging
import RequestLog
import Synchronization
import Testing

@Suite("Request log writer: batching off the request path, drain on shutdown, retries, bounded queue", .timeLimit(.minutes(1)))
struct RequestLogWriterTests {
    @Test("a full batch sends the whole queue at once, without waiting for the interval, in batches of at most batchRows")
    func fullBatchCommitsAtOnce() async throws {
        let directory = try TemporaryDirectory()
        let store = RecordingStore(try SQLiteRequestStore(path: directory.path("log.sqlite")))
        let writer = RequestLogWriter(store: store, settings: .init(batchInterval: .seconds(600), batchRows: 3), logger: Logger(label: "test"))
        // Queued before the writer runs: recorded while it runs, a lone last record could wait for the interval.
        for index in 0..<7 { writer.record(Sample.record(id: "r\(index)")) }
        try await withRunning(writer) {
            var sizes: [Int] = []
            for _ in 0..<3 { sizes.append(try await store.nextBatch()) }
            #expect(sizes == [3, 3, 1])
            #expect(writer.queueDepth == 0)
        }
    }

    @Test("a lone record is committed once the batch interval has passed")
    func loneRecordCommitsAfterInterval() async throws {
        let directory = try TemporaryDirectory()
        let store = RecordingStore(try SQLiteRequestStore(path: directory.path("log.sqlite")))
        let writer = RequestLogWriter(store: store, settings: .init(batchInterval: .milliseconds(20), batchRows: 500), logger: Logger(label: "test"))
        try await withRunning(writer) {
            writer.record(Sample.record(id: "only"))
            let batch = try await store.nextBatch()
            #expect(batch == 1)
            let stored = try await store.inner.count()
            #expect(stored == 1)
        }
    }

    @Test("finish commits the queued records at once (not after the 10-minute interval) before run returns, and refuses later ones")
    func shutdownDrains() async throws {
        let directory = try TemporaryDirectory()
        let store = RecordingStore(try SQLiteRequestStore(path: directory.path("log.sqlite")))
        let writer = RequestLogWriter(store: store, settings: .init(batchInterval: .seconds(600), batchRows: 2_000), logger: Logger(label: "test"))
        for index in 0..<1_000 { writer.record(Sample.record(id: "r\(index)")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            writer.finish()
            try await group.waitForAll()
        }
        let stored = try await store.inner.count()
        #expect(stored == 1_000)
        #expect(store.batchSizes == [1_000])
        #expect(writer.record(Sample.record(id: "late")) == false)
    }

    @Test("a batch the store refuses is retried until stored, once, and each failure is reported")
    func failedBatchRetried() async throws {
        let directory = try TemporaryDirectory()
        let store = RecordingStore(try SQLiteRequestStore(path: directory.path("log.sqlite")), failures: 2)
        let observer = CountingObserver()
        let writer = RequestLogWriter(
            store: store, settings: .init(batchInterval: .milliseconds(10), batchRows: 2), observer: observer, logger: Logger(label: "test"))
        try await withRunning(writer) {
            writer.record(Sample.record(id: "a"))
            writer.record(Sample.record(id: "b"))
            let batch = try await store.nextBatch()
            #expect(batch == 2)
            let stored = try await store.inner.count()
            #expect(stored == 2)
        }
        #expect(observer.counts.withLock { $0.failed } == 2)
        #expect(observer.counts.withLock { $0.written } == 2)
    }

    @Test("past the queue's capacity, records are refused and counted as dropped")
    func boundedQueue() throws {
        let directory = try TemporaryDirectory()
        let observer = CountingObserver()
        let writer = RequestLogWriter(
            store: try SQLiteRequestStore(path: directory.path("log.sqlite")), settings: .init(queueCapacity: 2),
            observer: observer, logger: Logger(label: "test"))
        #expect(writer.record(Sample.record(id: "1")))
        #expect(writer.record(Sample.record(id: "2")))
        #expect(!writer.record(Sample.record(id: "3")))
        #expect(writer.queueDepth == 2)
        #expect(observer.counts.withLock { $0.dropped } == 1)
    }

    /// Runs `writer` while `body` runs, then finishes it.
    private func withRunning(_ writer: RequestLogWriter, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            try await body()
            writer.finish()
            try await group.waitForAll()
        }
    }
}

/// A store that reports each committed batch's size, and may refuse its first inserts.
final class RecordingStore: RequestStore {
    let inner: SQLiteRequestStore
    private let state: Mutex<(failuresLeft: Int, sizes: [Int])>
    private let committed: AsyncStream<Int>
    private let continuation: AsyncStream<Int>.Continuation

    init(_ inner: SQLiteRequestStore, failures: Int = 0) {
        self.inner = inner
        state = Mutex((failures, []))
        (committed, continuation) = AsyncStream.makeStream()
    }

    var batchSizes: [Int] { state.withLock { $0.sizes } }

    /// The size of the next committed batch; fails after 10 seconds.
    func nextBatch() async throws -> Int {
        let committed = self.committed
        return try await bounded(.seconds(10), "a committed batch") {
            var iterator = committed.makeAsyncIterator()
            guard let size = await iterator.next() else { throw CancellationError() }
            return size
        }
    }

    func insert(_ batch: [RequestRecord]) async throws(RequestLogError) {
        let fail = state.withLock { state -> Bool in
            guard state.failuresLeft > 0 else { return false }
            state.failuresLeft -= 1
            return true
        }
        if fail { throw RequestLogError(.storage, "refused for the test") }
        try await inner.insert(batch)
        state.withLock { $0.sizes.append(batch.count) }
        continuation.yield(batch.count)
    }

    func spend(_ query: SpendQuery) async throws(RequestLogError) -> [SpendRow] { try await inner.spend(query) }
    func requests(_ query: RequestQuery) async throws(RequestLogError) -> [RequestRecord] { try await inner.requests(query) }
    func costByKey(sinceMs: Int64) async throws(RequestLogError) -> [String: Double] { try await inner.costByKey(sinceMs: sinceMs) }
    func deleteRecords(receivedBefore beforeMs: Int64) async throws(RequestLogError) -> Int {
        try await inner.deleteRecords(receivedBefore: beforeMs)
    }
    func addResume(requestID: String) async throws(RequestLogError) { try await inner.addResume(requestID: requestID) }
}

final class CountingObserver: RequestLogObserver {
    let counts = Mutex((written: 0, failed: 0, dropped: 0))

    func batchWritten(rows: Int, seconds: Double) { counts.withLock { $0.written += rows } }
    func queueDepth(_ depth: Int) {}
    func rowsDropped(_ rows: Int) { counts.withLock { $0.dropped += rows } }
    func batchFailed() { counts.withLock { $0.failed += 1 } }
}

@Suite("Request log writer: retention")
struct RequestLogRetentionTests {
    @Test("with retention_days, records older than that are deleted when the writer starts; newer ones stay")
    func retentionAtStart() async throws {
        let directory = try TemporaryDirectory()
        let store = RecordingStore(try SQLiteRequestStore(path: directory.path("log.sqlite")))
        let now = UnixTime.nowMs()
        try await store.inner.insert([
            Sample.record(id: "three-days-old", at: now - 3 * 86_400_000), Sample.record(id: "an-hour-old", at: now - 3_600_000),
        ])
        let writer = RequestLogWriter(
            store: store, settings: .init(batchInterval: .milliseconds(10), retentionDays: 2), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            writer.record(Sample.record(id: "new", at: now))
            _ = try await store.nextBatch()
            writer.finish()
            try await group.waitForAll()
        }
        let ids = try await store.inner.requests(RequestQuery()).map(\.requestID)
        #expect(ids == ["new", "an-hour-old"])
    }
}
