import Benchmark
import Foundation
import Logging
import RequestLog

/// The request log's write side, on a real SQLite file in the temporary directory: one batch of 500 records
/// committed (the writer's default batch), and 10,000 records through the writer's queue, committed and drained.
/// Rows per second are the batch size over the time: the issue's target is at least 10,000 a second on this
/// machine. And the cost on the request path: queueing one record (what a request pays).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 200)

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edge-log-bench-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let counter = Counter()

    Benchmark("SQLite insert, one batch of 500 records") { benchmark in
        let store = try SQLiteRequestStore(path: directory.appendingPathComponent("insert.sqlite").path)
        for _ in benchmark.scaledIterations {
            let batch = (0..<500).map { _ in Fixture.record(id: counter.next()) }
            benchmark.startMeasurement()
            try await store.insert(batch)
            benchmark.stopMeasurement()
        }
    }

    Benchmark("Writer, 10,000 records queued, committed and drained") { benchmark in
        let store = try SQLiteRequestStore(path: directory.appendingPathComponent("writer.sqlite").path)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        for _ in benchmark.scaledIterations {
            let records = (0..<10_000).map { _ in Fixture.record(id: counter.next()) }
            let writer = RequestLogWriter(store: store, settings: .init(queueCapacity: 20_000), logger: logger)
            benchmark.startMeasurement()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.run() }
                for record in records { writer.record(record) }
                writer.finish()
                try await group.waitForAll()
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark(
        "Writer.record, one record queued (the request path's cost)",
        configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 1_000)
    ) { benchmark in
        let store = try SQLiteRequestStore(path: directory.appendingPathComponent("queue.sqlite").path)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        // Never run: the queue only fills; large enough for every iteration.
        let writer = RequestLogWriter(store: store, settings: .init(queueCapacity: 50_000_000), logger: logger)
        let record = Fixture.record(id: "queued")
        for _ in benchmark.scaledIterations {
            blackHole(writer.record(record))
        }
    }
}

/// Unique request ids across iterations (rows are keyed by them: a repeated id would be skipped, not written).
final class Counter: @unchecked Sendable {  // used from one benchmark at a time
    private var value = 0

    func next() -> String {
        value += 1
        return "bench-\(value)"
    }
}

enum Fixture {
    /// A record as a streamed request of an agent leaves it: every column filled, metadata of three fields.
    static func record(id: String) -> RequestRecord {
        RequestRecord(
            requestID: id, receivedAtMs: 1_764_849_600_000, keyID: "team-search", dialect: "openai",
            endpoint: "/v1/chat/completions", model: "gpt-4o", stream: true, provider: "openai-eu",
            upstreamModel: "gpt-4o-2024-08-06", region: "eu-west", attempts: 2,
            failures: [.init(provider: "azure-eu/gpt-4o", cause: "status_503")], hedged: false, routeReason: "failover",
            ttftMs: 412.5, firstByteMs: 380.25, durationMs: 2_310.75, status: 200, errorType: nil,
            tokens: .init(input: 1_830, output: 412, cacheRead: 1_024, cacheWrite: 0, reasoning: 0), usageEstimated: false,
            costUSD: 0.0061, country: "DE", asn: 3320,
            metadataJSON: #"{"team":"search","customer":"acme","userId":12345}"#)
    }
}
