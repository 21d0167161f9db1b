import Foundation
import Histogram

/// One measured request, as kept for the per-request log and the per-phase figures.
public struct RequestRecord: Sendable, Equatable {
    /// When it was due, in nanoseconds after the measured window opened.
    public var startNanos: Int64
    /// Start to the end of the answer (or to the failure).
    public var totalNanos: Int64
    /// Start to the first content delta, for a successful stream.
    public var ttftNanos: Int64?
    /// Why it failed; nil for a success.
    public var failure: FailureKind?
    /// The provider that served it, when known.
    public var servedBy: String?

    public init(
        startNanos: Int64, totalNanos: Int64, ttftNanos: Int64? = nil, failure: FailureKind? = nil,
        servedBy: String? = nil
    ) {
        self.startNanos = startNanos
        self.totalNanos = totalNanos
        self.ttftNanos = ttftNanos
        self.failure = failure
        self.servedBy = servedBy
    }

    /// The CSV header matching ``csvLine``.
    public static let csvHeader = "start_s,ttft_ms,total_ms,outcome,served_by"

    /// `12.345678,81.234,120.500,ok,sim-a`: times in seconds after the window opened and in milliseconds; the TTFT
    /// is empty for failures, the outcome is `ok` or the failure's name.
    public var csvLine: String {
        let ttft = ttftNanos.map { String(format: "%.3f", Double($0) / 1e6) } ?? ""
        let outcome = failure?.name ?? "ok"
        // Header values come from the server: keep the line one CSV record whatever they hold.
        let served = (servedBy ?? "").filter { $0 != "," && $0 != "\n" && $0 != "\r" && $0 != "\"" }
        let start = String(format: "%.6f", Double(startNanos) / 1e9)
        return "\(start),\(ttft),\(String(format: "%.3f", Double(totalNanos) / 1e6)),\(outcome),\(served)"
    }
}

extension Array where Element == RequestRecord {
    /// TTFT percentiles of the successful requests among these (nil when there are none).
    func ttftPercentiles() -> LoadReport.Percentiles? {
        var histogram = LoadRecorder.makeHistogram()
        for record in self {
            if let ttft = record.ttftNanos { LoadRecorder.record(ttft, in: &histogram) }
        }
        return LoadReport.Percentiles(histogram)
    }
}
