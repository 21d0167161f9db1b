import Foundation
import Histogram

/// The result of one `edge-load` run, written as JSON (snake_case keys). `bench-report` reads these back.
public struct LoadReport: Codable, Sendable {
    /// Free text from `--label`, to tell runs apart.
    public var label: String?
    /// The URL loaded, or the targets a client-side strategy picked from (comma-separated).
    public var target: String
    public var stream: Bool
    /// `rate` or `concurrency`.
    public var mode: String
    /// Requests per second offered (rate mode).
    public var offeredRate: Double?
    /// Streams held (concurrency mode).
    public var concurrency: Int?
    public var warmupSeconds: Double
    public var durationSeconds: Double
    public var rampSeconds: Double
    public var timeoutSeconds: Double
    public var threads: Int
    public var maxConnections: Int
    /// Requests started in the measured window, and how they ended.
    public var started: Int
    public var succeeded: Int
    public var failed: Int
    /// Failures by kind: connect, timeout, unfinished, http_NNN, stream_cut, closed, bad_response.
    public var errors: [String: Int]
    /// Successful requests per second of window.
    public var achievedRate: Double
    /// Requests started per second of window (what the generator managed to offer).
    public var startedRate: Double
    /// Start to end of a successful answer.
    public var latencyMs: Percentiles?
    /// Start to the first content delta (streams).
    public var ttftMs: Percentiles?
    /// Between consecutive content deltas (streams).
    public var gapMs: Percentiles?
    /// How late the generator started requests against its schedule (rate mode): its own health.
    public var scheduleLagMs: Percentiles?
    public var stalls: Stalls?
    public var contentDeltas: Int
    public var connectionsOpened: Int
    /// Requests in flight, sampled every 250 ms in the window.
    public var inFlight: Spread?
    /// CPU and memory of the watched processes (and of edge-load itself) over the window.
    public var processes: [String: ProcessFigures]
    /// Routing runs (`edge-load route`): the schedule and the figures of each of its phases.
    public var scenario: ScenarioFigures?

    /// Percentiles of one histogram, in milliseconds.
    public struct Percentiles: Codable, Sendable {
        public var count: UInt64
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
        public var mean: Double

        /// Nil for an empty histogram (recorded in microseconds).
        public init?(_ histogram: Histogram<UInt64>) {
            guard histogram.totalCount > 0 else { return nil }
            func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
            count = histogram.totalCount
            p50 = ms(histogram.valueAtPercentile(50))
            p90 = ms(histogram.valueAtPercentile(90))
            p99 = ms(histogram.valueAtPercentile(99))
            p999 = ms(histogram.valueAtPercentile(99.9))
            max = ms(histogram.max)
            mean = (histogram.mean / 1000 * 1000).rounded() / 1000
        }
    }

    /// Stalls of streams: gaps between content deltas (or a first delta) later than the threshold.
    public struct Stalls: Codable, Sendable {
        public var thresholdMs: Double
        /// The TTFT the upstream was set to; a first delta later than this plus the threshold is a stall.
        public var expectedTTFTMs: Double?
        public var stalledGaps: Int
        public var lateFirstTokens: Int
        public var streamsWithStall: Int
    }

    /// Minimum, mean and maximum of samples.
    public struct Spread: Codable, Sendable {
        public var min: Int
        public var mean: Double
        public var max: Int
    }

    init(
        plan: LoadPlan, recorder: LoadRecorder, processes: [String: ProcessFigures], label: String?,
        scenario: ScenarioFigures? = nil
    ) {
        self.label = label
        target = plan.targets.map(\.url.description).joined(separator: ", ")
        self.scenario = scenario
        stream = plan.request.stream
        switch plan.shape {
        case .rate(let rate):
            mode = "rate"
            offeredRate = rate
        case .concurrency(let count):
            mode = "concurrency"
            concurrency = count
        }
        warmupSeconds = plan.warmupSeconds
        durationSeconds = plan.durationSeconds
        rampSeconds = plan.rampSeconds
        timeoutSeconds = plan.timeoutSeconds
        threads = plan.threads
        maxConnections = plan.maxConnections
        started = recorder.started
        succeeded = recorder.succeeded
        failed = recorder.failures.values.reduce(0, +)
        errors = Dictionary(uniqueKeysWithValues: recorder.failures.map { ($0.key.name, $0.value) })
        achievedRate = (Double(recorder.succeeded) / plan.durationSeconds * 10).rounded() / 10
        startedRate = (Double(recorder.started) / plan.durationSeconds * 10).rounded() / 10
        latencyMs = Percentiles(recorder.total)
        ttftMs = Percentiles(recorder.timeToFirstToken)
        gapMs = Percentiles(recorder.gap)
        scheduleLagMs = Percentiles(recorder.scheduleLag)
        if plan.request.stream {
            stalls = Stalls(
                thresholdMs: plan.stallMilliseconds, expectedTTFTMs: plan.expectedTTFTMilliseconds,
                stalledGaps: recorder.stalledGaps, lateFirstTokens: recorder.lateFirstTokens,
                streamsWithStall: recorder.streamsWithStall)
        }
        contentDeltas = recorder.contentDeltas
        connectionsOpened = recorder.connectionsOpened
        if let low = recorder.inFlightSamples.min(), let high = recorder.inFlightSamples.max() {
            let mean = Double(recorder.inFlightSamples.reduce(0, +)) / Double(recorder.inFlightSamples.count)
            inFlight = Spread(min: low, mean: (mean * 10).rounded() / 10, max: high)
        }
        self.processes = processes
    }

    /// The report as pretty-printed JSON with snake_case keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads a report written by ``json()``.
    public static func decode(_ data: Data) throws -> LoadReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(LoadReport.self, from: data)
    }
}
