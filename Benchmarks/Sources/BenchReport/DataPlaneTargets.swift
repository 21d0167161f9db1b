import EdgeLoadCore

/// Issue #18's data-plane targets, judged twice: on the plain rows (EdgeRouter and nginx in front of the plain
/// simulator, on every rate and level of the run) and on the TLS rows (both with an HTTPS upstream, nginx with
/// `proxy_ssl`, on the TLS ladder), each pair from the same run and turns. Like ``Targets``, each row says what was
/// measured and whether the target is met, missed, or could not be judged here, and why.
struct DataPlaneTargets {
    let results: ResultSet
    /// The two paths compared, and the rates and levels they are judged on.
    let router: String
    let nginx: String
    let rates: [Int]
    let levels: [Int]
    /// What the rows are called in the verdicts ("TLS" for the TLS rows, empty for the plain ones).
    let kind: String

    /// The plain rows: every rate and level the run measured.
    static func plain(_ results: ResultSet) -> DataPlaneTargets {
        DataPlaneTargets(
            results: results, router: "router", nginx: "nginx",
            rates: results.info.scenarioA.rates.compactMap { Int(exactly: $0) }, levels: results.info.scenarioB.levels, kind: "")
    }

    /// The TLS rows, on their own ladder.
    static func tls(_ results: ResultSet, _ tls: RunInfo.TLS) -> DataPlaneTargets {
        DataPlaneTargets(
            results: results, router: tls.twin(of: "router")?.id ?? "router-tls", nginx: tls.twin(of: "nginx")?.id ?? "nginx-tls",
            rates: tls.rates, levels: tls.levels, kind: "TLS")
    }

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

    /// "TLS, " before a target's name, for the TLS rows.
    private var prefix: String { kind.isEmpty ? "" : kind + ", " }
    /// "TLS rates", or "rates".
    private func ladder(_ noun: String) -> String { kind.isEmpty ? noun : "\(kind) \(noun)" }

    func section() -> [String] {
        var lines =
            kind.isEmpty
            ? [
                "### #18's targets", "",
                "EdgeRouter → simulator against nginx → the same simulator (plain HTTP), judged by `bench-report` from "
                    + "the tables above.", "",
            ]
            : [
                "### #18's targets with TLS upstreams", "",
                "EdgeRouter → HTTPS simulator against nginx → the same HTTPS simulator, judged by `bench-report` from the "
                    + "tables above.", "",
            ]
        let rows = [knee(), cpuPerRequest(), streamsHeld(), addedTTFT(), cpuPerDelta()]
        lines += Markdown.table(["target", "measured in this run", "verdict"], rows.map { [$0.target, $0.measured, $0.verdict] })
        return lines
    }

    /// Scenario A: the highest rate each held, and their ratio.
    func knee() -> Targets.Row {
        let target = "\(prefix)scenario A: knee ≥ \(Self.kneeRatio) × nginx's"
        let routerKnee = results.knee(router, among: rates)
        let nginxKnee = results.knee(nginx, among: rates)
        let measured = "EdgeRouter \(routerKnee.map { Format.rate($0) + "/s" } ?? "none"), nginx "
            + "\(nginxKnee.map { Format.rate($0) + "/s" } ?? "none") (on the rates \(rates.map(Format.rate).joined(separator: ", ")))"
        guard let nginxKnee else {
            return Targets.Row(target: target, measured: measured, verdict: "not judged: nginx held none of the \(ladder("rates"))")
        }
        guard let routerKnee else {
            return Targets.Row(target: target, measured: measured, verdict: "missed: EdgeRouter held none of the \(ladder("rates"))")
        }
        let ratio = Double(routerKnee) / Double(nginxKnee)
        var verdict = ratio >= Self.kneeRatio ? "met" : "missed by \(Format.ratio(Self.kneeRatio / ratio))"
        if nginxKnee == rates.max() {
            verdict += " (nginx held the top \(ladder("rate")), so its knee is at least that and the ratio flatters EdgeRouter)"
        }
        if ratio < Self.kneeRatio, let why = kneeReason(above: routerKnee) { verdict += ". Why: " + why }
        return Targets.Row(target: target, measured: measured + ": \(Format.ratio(ratio))", verdict: verdict)
    }

    /// What EdgeRouter's CPU came to at the first rate past its knee that it did not hold: when that is about all the
    /// cores it was pinned to, the knee is where its CPU per request runs out of core.
    func kneeReason(above knee: Int) -> String? {
        guard let (rate, entry) = rates.filter({ $0 > knee }).sorted().lazy
            .compactMap({ rate in results.rateRuns[router]?[rate].map { (rate, $0) } }).first,
            !entry.verdict.held, let cost = entry.cpuMicrosPerRequest
        else { return nil }
        let cores = cost * Double(rate) / 1_000_000
        let pinned = results.info.scenarioA.proxyCores.map { " of the \($0) it was pinned to" } ?? ""
        var reason = "at \(Format.rate(rate))/s, the first rate past its knee, EdgeRouter's \(Format.micros(cost)) µs of CPU "
            + "per request come to \(String(format: "%.2f", cores)) cores\(pinned) at that rate"
        if let nginxCost = results.rateRuns[nginx]?[rate]?.cpuMicrosPerRequest {
            reason += "; nginx spent \(Format.micros(nginxCost)) µs per request there"
        }
        // Near its cores' worth, queueing for the CPU alone takes p99 past the bound; well below, something else did.
        if let pinnedCores = results.info.scenarioA.proxyCores, cores < 0.8 * Double(pinnedCores) {
            return reason + ", well under its cores: not the CPU alone (the step's errors and p99 are above)"
        }
        return reason + ". The CPU per request is the limit; where it goes: \"\(ProfileSection.heading)\" below"
    }

    /// Scenario A: CPU per request at the highest rate both held.
    func cpuPerRequest() -> Targets.Row {
        cpuRatio(
            target: "\(prefix)scenario A: CPU per request ≤ \(Self.cpuPerRequestRatio) × nginx's", runs: results.rateRuns,
            steps: rates, step: ladder("rate"), at: { "\(Format.rate($0))/s" }, cost: \.cpuMicrosPerRequest,
            limit: Self.cpuPerRequestRatio)
    }

    /// Scenario B: at least as many streams held as nginx.
    func streamsHeld() -> Targets.Row {
        let target = "\(prefix)scenario B: as many concurrent streams held as nginx, no stall"
        let held = { (path: String) in
            results.streamRuns[path]?.filter { $0.value.verdict.held && levels.contains($0.key) }.keys.max()
        }
        let routerHeld = held(router)
        let nginxHeld = held(nginx)
        let measured = "EdgeRouter \(routerHeld.map(Format.rate) ?? "none"), nginx \(nginxHeld.map(Format.rate) ?? "none") "
            + "(levels \(levels.map(Format.rate).joined(separator: ", ")))"
        guard let nginxHeld else {
            return Targets.Row(target: target, measured: measured, verdict: "not judged: nginx held none of the \(ladder("levels"))")
        }
        guard let routerHeld, routerHeld >= nginxHeld else {
            return Targets.Row(target: target, measured: measured, verdict: "missed")
        }
        let top = nginxHeld == levels.max() ? " (both held the top \(ladder("level")): neither one's limit was reached)" : ""
        return Targets.Row(target: target, measured: measured, verdict: "met" + top)
    }

    /// EdgeRouter's added TTFT p99 over nginx's at one level, added over the direct path's at that level; nil when a
    /// figure is missing or nginx added too little to divide by.
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
        let target = "\(prefix)scenario B: added TTFT p99 at \(Format.rate(level)) streams ≤ \(Self.addedTTFTRatio) × nginx's"
        guard let direct = results.streamRuns["direct"]?[level]?.report.ttftMs?.p99,
            let routerEntry = results.streamRuns[router]?[level], let routerTTFT = routerEntry.report.ttftMs?.p99,
            let nginxEntry = results.streamRuns[nginx]?[level], let nginxTTFT = nginxEntry.report.ttftMs?.p99
        else {
            return Targets.Row(
                target: target,
                measured: "\(Format.rate(level)) streams not run\(kind.isEmpty ? "" : " with " + kind) here (levels \(levels.map(Format.rate).joined(separator: ", ")))",
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
        if ratio > Self.addedTTFTRatio, let busy = coresBusy(routerEntry), let nginxBusy = coresBusy(nginxEntry) {
            verdict += ". Why: the machine's \(results.info.machine.nproc) cores were shared by the proxy, the simulator and "
                + "edge-load; busy during EdgeRouter's step: \(busy), during nginx's: \(nginxBusy). A proxy that needs "
                + "more CPU per delta leaves less for the others, and first tokens wait for a core"
        }
        return Targets.Row(target: target, measured: measured + " = \(Format.ratio(ratio))", verdict: verdict)
    }

    /// The cores each process of a step kept busy on average, and their sum: `1.95 (proxy 1.01, upstream 0.50, …)`.
    private func coresBusy(_ entry: ResultSet.Entry) -> String? {
        let duration = entry.report.durationSeconds
        guard duration > 0, !entry.report.processes.isEmpty else { return nil }
        let cores = entry.report.processes.mapValues { $0.cpuSeconds / duration }
        let parts = cores.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }
        return String(format: "%.2f", cores.values.reduce(0, +)) + " (" + parts.joined(separator: ", ") + ")"
    }

    /// Scenario B: CPU per content delta at the highest level both held.
    func cpuPerDelta() -> Targets.Row {
        cpuRatio(
            target: "\(prefix)scenario B: CPU per streamed content delta ≤ \(Self.cpuPerDeltaRatio) × nginx's",
            runs: results.streamRuns, steps: levels, step: ladder("level"), at: { "\(Format.rate($0)) streams" },
            cost: \.cpuMicrosPerDelta, limit: Self.cpuPerDeltaRatio)
    }

    /// EdgeRouter's CPU cost over nginx's at the highest of `steps` (rates or levels) that both held.
    private func cpuRatio(
        target: String, runs: [String: [Int: ResultSet.Entry]], steps: [Int], step: String, at: (Int) -> String,
        cost: KeyPath<ResultSet.Entry, Double?>, limit: Double
    ) -> Targets.Row {
        let common = steps.filter { runs[router]?[$0]?.verdict.held == true && runs[nginx]?[$0]?.verdict.held == true }
        guard let top = common.max(), let routerCPU = runs[router]?[top]?[keyPath: cost],
            let nginxCPU = runs[nginx]?[top]?[keyPath: cost], nginxCPU > 0
        else {
            return Targets.Row(target: target, measured: "no \(step) that both held, with CPU recorded", verdict: "not measured")
        }
        let ratio = routerCPU / nginxCPU
        var verdict = judge(ratio, limit: limit)
        if ratio > limit, results.profiles[router] != nil {
            verdict += ". Why: \"\(ProfileSection.heading)\" below splits both proxies' CPU part by part"
        }
        return Targets.Row(
            target: target,
            measured: "at \(at(top)), the highest \(step) both held: \(Format.micros(routerCPU)) vs "
                + "\(Format.micros(nginxCPU)) µs = \(Format.ratio(ratio))",
            verdict: verdict)
    }

    /// "met", or "missed by" how many times over the limit the ratio is.
    private func judge(_ ratio: Double, limit: Double) -> String {
        ratio <= limit ? "met" : "missed by \(Format.ratio(ratio / limit))"
    }
}
