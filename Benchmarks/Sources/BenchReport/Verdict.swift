import EdgeLoadCore

/// Whether a run "held" its load. The script and the report use this one definition, so the escalation the
/// script does (stop raising a path's load once it fails) and the tables agree.
struct Verdict {
    var held: Bool
    /// Why not, in a few words.
    var reason: String

    /// The thresholds of a rate run: p99 bound and the share of requests that may fail.
    struct RateLimits {
        var p99BoundMs: Double
        var maxErrorRatio: Double
    }

    /// Rate mode: errors within the allowed share and p99 (counted from each request's scheduled start, so
    /// queueing shows) within the bound.
    static func rate(_ report: LoadReport, _ limits: RateLimits) -> Verdict {
        guard report.started > 0 else { return Verdict(held: false, reason: "nothing started") }
        let errorRatio = Double(report.failed) / Double(report.started)
        if errorRatio > limits.maxErrorRatio {
            return Verdict(held: false, reason: "errors \(Format.percent(errorRatio)) \(Format.errors(report.errors))")
        }
        guard let p99 = report.latencyMs?.p99 else { return Verdict(held: false, reason: "no successful request") }
        if p99 > limits.p99BoundMs {
            return Verdict(held: false, reason: "p99 \(Format.ms(p99)) ms > \(Format.ms(limits.p99BoundMs)) ms")
        }
        return Verdict(held: true, reason: "held")
    }

    /// Concurrency mode: every stream completed, none stalled (no gap, and no first token, later than the stall
    /// threshold), and the streams were really open (the mean in flight at least 95 % of those asked for).
    static func streams(_ report: LoadReport) -> Verdict {
        guard report.started > 0, report.succeeded > 0 else { return Verdict(held: false, reason: "no stream completed") }
        if report.failed > 0 {
            return Verdict(held: false, reason: "\(report.failed) failed \(Format.errors(report.errors))")
        }
        if let stalls = report.stalls, stalls.streamsWithStall > 0 {
            return Verdict(
                held: false,
                reason: "\(stalls.streamsWithStall) streams stalled (\(stalls.stalledGaps) long gaps, \(stalls.lateFirstTokens) late first tokens)")
        }
        if let concurrency = report.concurrency, let inFlight = report.inFlight, inFlight.mean < 0.95 * Double(concurrency) {
            return Verdict(held: false, reason: "only \(Int(inFlight.mean)) of \(concurrency) in flight on average")
        }
        return Verdict(held: true, reason: "held")
    }
}
