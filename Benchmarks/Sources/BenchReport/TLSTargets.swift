import EdgeLoadCore

/// Issue #18's data-plane targets judged on the TLS rows: EdgeRouter with an HTTPS upstream against nginx with the
/// same upstream (`proxy_ssl`), both from the same run and turns. Like ``Targets``, each row says what was measured
/// and whether the target is met, missed, or could not be judged here, and why.
struct TLSTargets {
    let results: ResultSet
    let tls: RunInfo.TLS

    /// Scenario A: the knee at least half of nginx's.
    static let kneeRatio = 0.5
    /// Scenario A: CPU per request at most 2.5 × nginx's.
    static let cpuPerRequestRatio = 2.5
    /// Scenario B: CPU per streamed content delta at most 2 × nginx's.
    static let cpuPerDeltaRatio = 2.0
    /// Scenario B: added TTFT p99 at the judged level at most 2 × nginx's.
    static let addedTTFTRatio = 2.0
    /// The stream level at which added TTFT is judged.
    static let ttftLevel = 1000

    private var router: String { tls.twin(of: "router")?.id ?? "router-tls" }
    private var nginx: String { tls.twin(of: "nginx")?.id ?? "nginx-tls" }

    func section() -> [String] {
        var lines = [
            "### #18's targets with TLS upstreams", "",
            "EdgeRouter → HTTPS simulator against nginx → the same HTTPS simulator, judged by `bench-report` from the "
                + "tables above.", "",
        ]
        let rows = [knee(), cpuPerRequest(), streamsHeld(), addedTTFT(), cpuPerDelta()]
        lines += Markdown.table(["target", "measured in this run", "verdict"], rows.map { [$0.target, $0.measured, $0.verdict] })
        return lines
    }

    /// Scenario A: the highest TLS rate each held, and their ratio.
    func knee() -> Targets.Row {
        let target = "TLS, scenario A: knee ≥ \(Self.kneeRatio) × nginx's"
        let routerKnee = results.knee(router, among: tls.rates)
        let nginxKnee = results.knee(nginx, among: tls.rates)
        let measured = "EdgeRouter \(routerKnee.map { Format.rate($0) + "/s" } ?? "none"), nginx "
            + "\(nginxKnee.map { Format.rate($0) + "/s" } ?? "none") (on the rates \(tls.rates.map(Format.rate).joined(separator: ", ")))"
        guard let nginxKnee else {
            return Targets.Row(target: target, measured: measured, verdict: "not judged: nginx held none of the TLS rates")
        }
        guard let routerKnee else {
            return Targets.Row(target: target, measured: measured, verdict: "missed: EdgeRouter held none of the TLS rates")
        }
        let ratio = Double(routerKnee) / Double(nginxKnee)
        var verdict = ratio >= Self.kneeRatio ? "met" : "missed by \(Format.ratio(Self.kneeRatio / ratio))"
        if nginxKnee == tls.rates.max() {
            verdict += " (nginx held the top TLS rate, so its knee is at least that and the ratio flatters EdgeRouter)"
        }
        return Targets.Row(target: target, measured: measured + ": \(Format.ratio(ratio))", verdict: verdict)
    }

    /// Scenario A: CPU per request at the highest TLS rate both held.
    func cpuPerRequest() -> Targets.Row {
        let target = "TLS, scenario A: CPU per request ≤ \(Self.cpuPerRequestRatio) × nginx's"
        let common = tls.rates.filter { rate in
            results.rateRuns[router]?[rate]?.verdict.held == true && results.rateRuns[nginx]?[rate]?.verdict.held == true
        }
        guard let rate = common.max(), let routerCPU = results.rateRuns[router]?[rate]?.cpuMicrosPerRequest,
            let nginxCPU = results.rateRuns[nginx]?[rate]?.cpuMicrosPerRequest, nginxCPU > 0
        else {
            return Targets.Row(target: target, measured: "no TLS rate that both held, with CPU recorded", verdict: "not measured")
        }
        let ratio = routerCPU / nginxCPU
        return Targets.Row(
            target: target,
            measured: "at \(Format.rate(rate))/s, the highest TLS rate both held: \(Format.micros(routerCPU)) vs "
                + "\(Format.micros(nginxCPU)) µs = \(Format.ratio(ratio))",
            verdict: judge(ratio, limit: Self.cpuPerRequestRatio))
    }

    /// Scenario B: at least as many streams held as nginx, on the TLS levels.
    func streamsHeld() -> Targets.Row {
        let target = "TLS, scenario B: as many concurrent streams held as nginx, no stall"
        let held = { (path: String) in
            results.streamRuns[path]?.filter { $0.value.verdict.held && tls.levels.contains($0.key) }.keys.max()
        }
        let routerHeld = held(router)
        let nginxHeld = held(nginx)
        let measured = "EdgeRouter \(routerHeld.map(Format.rate) ?? "none"), nginx \(nginxHeld.map(Format.rate) ?? "none") "
            + "(levels \(tls.levels.map(Format.rate).joined(separator: ", ")))"
        guard let nginxHeld else {
            return Targets.Row(target: target, measured: measured, verdict: "not judged: nginx held none of the TLS levels")
        }
        guard let routerHeld, routerHeld >= nginxHeld else {
            return Targets.Row(target: target, measured: measured, verdict: "missed")
        }
        let top = nginxHeld == tls.levels.max() ? " (both held the top TLS level: neither one's limit was reached)" : ""
        return Targets.Row(target: target, measured: measured, verdict: "met" + top)
    }

    /// EdgeRouter's added TTFT p99 over nginx's at one level, both with TLS, added over the direct path's at that
    /// level; nil when a figure is missing or nginx added too little to divide by.
    func addedTTFTRatio(level: Int) -> Double? {
        guard let direct = results.streamRuns["direct"]?[level]?.report.ttftMs?.p99,
            let routerTTFT = results.streamRuns[router]?[level]?.report.ttftMs?.p99,
            let nginxTTFT = results.streamRuns[nginx]?[level]?.report.ttftMs?.p99,
            nginxTTFT - direct >= Targets.smallestMeasurableMs
        else { return nil }
        return (routerTTFT - direct) / (nginxTTFT - direct)
    }

    /// Scenario B: added TTFT p99 at 1,000 streams.
    func addedTTFT() -> Targets.Row {
        let level = Self.ttftLevel
        let target = "TLS, scenario B: added TTFT p99 at \(Format.rate(level)) streams ≤ \(Self.addedTTFTRatio) × nginx's"
        guard let direct = results.streamRuns["direct"]?[level]?.report.ttftMs?.p99,
            let routerEntry = results.streamRuns[router]?[level], let routerTTFT = routerEntry.report.ttftMs?.p99,
            let nginxEntry = results.streamRuns[nginx]?[level], let nginxTTFT = nginxEntry.report.ttftMs?.p99
        else {
            return Targets.Row(
                target: target,
                measured: "\(Format.rate(level)) streams not run with TLS here (levels \(tls.levels.map(Format.rate).joined(separator: ", ")))",
                verdict: "not measured")
        }
        let measured = "EdgeRouter \(Format.signedMs(routerTTFT - direct)) ms, nginx \(Format.signedMs(nginxTTFT - direct)) ms"
        guard let ratio = addedTTFTRatio(level: level) else {
            return Targets.Row(
                target: target, measured: measured,
                verdict: "not judged: nginx added under \(Format.ms(Targets.smallestMeasurableMs)) ms")
        }
        var verdict = judge(ratio, limit: Self.addedTTFTRatio)
        if !routerEntry.verdict.held { verdict += "; EdgeRouter did not hold the level: \(routerEntry.verdict.reason)" }
        if !nginxEntry.verdict.held { verdict += "; nginx did not hold the level: \(nginxEntry.verdict.reason)" }
        return Targets.Row(target: target, measured: measured + " = \(Format.ratio(ratio))", verdict: verdict)
    }

    /// Scenario B: CPU per content delta at the highest TLS level both held.
    func cpuPerDelta() -> Targets.Row {
        let target = "TLS, scenario B: CPU per streamed content delta ≤ \(Self.cpuPerDeltaRatio) × nginx's"
        let common = tls.levels.filter { level in
            results.streamRuns[router]?[level]?.verdict.held == true && results.streamRuns[nginx]?[level]?.verdict.held == true
        }
        guard let level = common.max(), let routerCPU = results.streamRuns[router]?[level]?.cpuMicrosPerDelta,
            let nginxCPU = results.streamRuns[nginx]?[level]?.cpuMicrosPerDelta, nginxCPU > 0
        else {
            return Targets.Row(target: target, measured: "no TLS level that both held, with CPU recorded", verdict: "not measured")
        }
        let ratio = routerCPU / nginxCPU
        return Targets.Row(
            target: target,
            measured: "at \(Format.rate(level)) streams, the highest TLS level both held: \(Format.micros(routerCPU)) vs "
                + "\(Format.micros(nginxCPU)) µs = \(Format.ratio(ratio))",
            verdict: judge(ratio, limit: Self.cpuPerDeltaRatio))
    }

    /// "met", or "missed by" how many times over the limit the ratio is.
    private func judge(_ ratio: Double, limit: Double) -> String {
        ratio <= limit ? "met" : "missed by \(Format.ratio(ratio / limit))"
    }
}
