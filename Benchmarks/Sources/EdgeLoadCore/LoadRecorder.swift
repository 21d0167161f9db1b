import Histogram

/// Why a request did not count as a success. The raw value is the key in the report's `errors` object.
public enum FailureKind: Hashable, Sendable {
    /// The TCP connection could not be made.
    case connect
    /// No complete answer within the request timeout.
    case timeout
    /// The run ended (after its drain time) with the request still unanswered.
    case unfinished
    /// The server answered with a status other than 200.
    case status(Int)
    /// An event stream ended without `data: [DONE]`, cleanly or by the connection closing.
    case streamCut
    /// The connection closed (or reset) before a complete non-streaming answer.
    case closed
    /// The response could not be parsed as HTTP/1.1.
    case badResponse

    /// The name used in reports: `connect`, `timeout`, `http_503`, `stream_cut`, ...
    public var name: String {
        switch self {
        case .connect: "connect"
        case .timeout: "timeout"
        case .unfinished: "unfinished"
        case .status(let code): "http_\(code)"
        case .streamCut: "stream_cut"
        case .closed: "closed"
        case .badResponse: "bad_response"
        }
    }
}

/// Latency histograms and counters of one worker; workers' recorders are merged at the end of a run.
///
/// All times are recorded in microseconds. Only requests whose start falls in the measured window are
/// recorded; warm-up and drain traffic is sent but not counted.
public struct LoadRecorder: Sendable {
    /// Highest value the histograms track: one hour, in microseconds (larger values are clamped).
    static let highestMicroseconds: UInt64 = 3_600_000_000

    /// Start to the last byte of a successful answer (for streams: to `[DONE]`).
    public var total = LoadRecorder.makeHistogram()
    /// Start to the first content delta of a stream.
    public var timeToFirstToken = LoadRecorder.makeHistogram()
    /// Time between consecutive content deltas of a stream.
    public var gap = LoadRecorder.makeHistogram()
    /// How late the generator itself started requests against their schedule (its own health).
    public var scheduleLag = LoadRecorder.makeHistogram()

    /// Requests started inside the measured window.
    public var started = 0
    /// Of those, answered in full with status 200 (and `[DONE]` for streams).
    public var succeeded = 0
    /// Of those, failures by kind.
    public var failures: [FailureKind: Int] = [:]
    /// Content deltas received on measured streams.
    public var contentDeltas = 0
    /// Gaps between content deltas longer than the stall threshold.
    public var stalledGaps = 0
    /// Measured streams whose first content delta came later than the stall threshold after their expected TTFT.
    public var lateFirstTokens = 0
    /// Measured streams with at least one stall (a long gap or a late first token).
    public var streamsWithStall = 0
    /// TCP connections opened during the whole run (warm-up included).
    public var connectionsOpened = 0
    /// Samples of requests in flight, taken periodically inside the measured window.
    public var inFlightSamples: [Int] = []
    /// Every measured request, when the plan keeps them (in the order they ended).
    public var requests: [RequestRecord] = []

    public init() {}

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestMicroseconds, numberOfSignificantValueDigits: .three)
    }

    /// Records a duration given in nanoseconds (rounded to the nearest microsecond, at least 1).
    static func record(_ nanoseconds: Int64, in histogram: inout Histogram<UInt64>) {
        let micros = UInt64(max(1, (nanoseconds + 500) / 1000))
        _ = histogram.record(min(micros, highestMicroseconds))
    }

    mutating func fail(_ kind: FailureKind) {
        failures[kind, default: 0] += 1
    }

    /// Adds another worker's figures to these.
    public mutating func merge(_ other: LoadRecorder) {
        total.add(other.total)
        timeToFirstToken.add(other.timeToFirstToken)
        gap.add(other.gap)
        scheduleLag.add(other.scheduleLag)
        started += other.started
        succeeded += other.succeeded
        failures.merge(other.failures, uniquingKeysWith: +)
        contentDeltas += other.contentDeltas
        stalledGaps += other.stalledGaps
        lateFirstTokens += other.lateFirstTokens
        streamsWithStall += other.streamsWithStall
        connectionsOpened += other.connectionsOpened
        requests += other.requests
        if inFlightSamples.count == other.inFlightSamples.count {
            // Workers sample on the same beat: the sum is the process's in-flight count.
            inFlightSamples = zip(inFlightSamples, other.inFlightSamples).map(+)
        } else if inFlightSamples.isEmpty {
            inFlightSamples = other.inFlightSamples
        } else {
            let count = min(inFlightSamples.count, other.inFlightSamples.count)
            inFlightSamples = (0..<count).map { inFlightSamples[$0] + other.inFlightSamples[$0] }
        }
    }
}
