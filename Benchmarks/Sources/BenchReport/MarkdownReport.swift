import EdgeLoadCore
import Foundation

/// Renders docs/benchmarks.md from a run's results: one table set per scenario with the run's absolute figures
/// and the ratios to direct and to nginx, then the targets judged from those same figures.
struct MarkdownReport {
    let results: ResultSet
    /// Where the report links the routing chart (nil: no chart).
    let chartLink: String?
    private var info: RunInfo { results.info }
    private var lines: [String] = []

    init(results: ResultSet, chartLink: String?) {
        self.results = results
        self.chartLink = chartLink
    }

    /// The whole document.
    func render() -> String {
        var report = self
        report.header()
        if info.ran("load") {
            report.method()
            report.harness()
            report.scenarioA()
            report.scenarioB()
            report.scenarioC()
            report.lines += DataPlaneTargets.plain(results).section()
            report.lines += TLSSection.lines(results: results)
            report.lines += ProfileSection(results: results).lines()
        } else {
            report.add(
                "This run measured the routing-quality scenario only (`--only routing`): the harness ceiling and "
                    + "scenarios A to C are not in it.", "")
        }
        report.lines += Targets(results: results).section()
        report.routingQuality()
        report.notes()
        return report.lines.joined(separator: "\n") + "\n"
    }

    private mutating func add(_ text: String...) { lines += text }

    private mutating func table(_ header: [String], _ rows: [[String]]) {
        lines += Markdown.table(header, rows)
    }

    // MARK: Header and method

    private mutating func header() {
        let source = info.dirty ? "`\(info.commit)` plus uncommitted changes (\(info.source))" : "`\(info.commit)` (\(info.source))"
        let versions = info.versions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        add(
            "# EdgeRouter benchmarks", "",
            "> Written by `scripts/bench` from the run described below; rerun it rather than editing this file.", "")
        table(
            ["run", ""],
            [
                ["commit measured", source],
                ["date", info.date],
                ["command", "`\(info.command)`"],
                ["machine", "\(info.machine.nproc) × \(info.machine.cpu), \(String(format: "%.1f", info.machine.memoryGib)) GiB, \(info.machine.os), kernel \(info.machine.kernel)"],
                ["software", versions],
                ["CPU pinning", info.pinning],
                ["open files limit", "\(info.fdLimit)"],
            ])
    }

    private mutating func method() {
        let a = info.scenarioA
        let b = info.scenarioB
        add(
            "## How it is measured", "",
            "Every path is measured in this one run, in turns, against the same simulated provider (`edge-router sim`):",
            "")
        for path in info.paths { add("- **\(path.name)** (`\(path.id)`)") }
        add(
            "",
            "Load comes from `edge-load` (this repository's `Benchmarks/` package): **open loop** for scenario A, so each "
                + "request starts at its scheduled time whatever the answers do and its latency counts from that time "
                + "(queueing behind a slow server shows instead of being hidden, i.e. no coordinated omission); latencies "
                + "are recorded in HDR histograms (3 significant digits). At each load step the paths run one after "
                + "another, so drift on this shared machine hits them alike; compare ratios rather than absolute times "
                + "across runs.",
            "",
            "- **Added latency** of a path = its percentile minus the direct path's same percentile at the same load.",
            "- **Held** (scenario A) = at most \(Format.percent(a.maxErrorRatio)) of the requests failed and p99 ≤ "
                + "\(Format.ms(a.p99BoundMs)) ms. Each step: \(Format.ms(a.warmupS)) s warm-up (not measured), then "
                + "\(Format.ms(a.durationS)) s measured. A step that does not hold is repeated once (the repeat counts); "
                + "a path that fails two steps in a row is not loaded harder (one noisy window does not end its ladder; "
                + "the knee is the highest rate held); LiteLLM, far below the others, stops at its first.",
            "- **Held** (scenario B) = every stream completed with `[DONE]`, none stalled, and the streams were really "
                + "open (mean in flight ≥ 95 % of the level). A **stall** is a gap between content deltas over "
                + "\(Format.ms(b.stallMs)) ms, or a first content delta more than \(Format.ms(b.stallMs)) ms later than "
                + "the simulator's \(Format.ms(b.ttftMs)) ms TTFT. TTFT is timed to the first `data:` frame with a "
                + "non-empty `choices[0].delta.content` (not the role-only chunk). Streams open evenly over "
                + "\(Format.ms(b.rampS)) s, then \(Format.ms(b.warmupS)) s warm-up, then \(Format.ms(b.durationS)) s "
                + "measured; each stream is re-issued on its connection as soon as it ends.",
            "- EdgeRouter always calls its upstream with `stream: true` and assembles non-streaming answers itself, so "
                + "in scenario A the simulator streams 16 deltas to the router but sends one JSON body to the other "
                + "paths; that extra work is part of the router's design and is counted in its added latency.",
            "")
    }

    // MARK: Harness

    private mutating func harness() {
        add("## The harness's own ceiling", "")
        guard !results.ceiling.isEmpty else {
            add("Not measured in this run.", "")
            return
        }
        add(
            "`edge-load` on its own core against nginx answering a fixed JSON body (`return 200`) on the proxies' "
                + "core: the highest rate held here is the most the generator can offer and time; any path's figures "
                + "near it are bounded by the generator, not by the path.", "")
        var rows: [[String]] = []
        for rate in results.ceiling.keys.sorted() {
            guard let entry = results.ceiling[rate] else { continue }
            let report = entry.report
            rows.append([
                Format.rate(rate) + "/s", Format.rate(report.achievedRate) + "/s",
                report.latencyMs.map { Format.ms($0.p50) } ?? "—", report.latencyMs.map { Format.ms($0.p99) } ?? "—",
                report.scheduleLagMs.map { Format.ms($0.p99) } ?? "—",
                report.processes["edge-load"].map { String(format: "%.2f", $0.cpuSeconds / report.durationSeconds) } ?? "—",
                entry.verdict.held ? "yes" : "no: " + entry.verdict.reason,
            ])
        }
        table(["offered", "achieved", "p50 ms", "p99 ms", "schedule lag p99 ms", "edge-load CPU (cores)", "held"], rows)
        if let ceiling = results.generatorCeiling {
            let atLeast = results.ceilingUnbounded ? "at least " : ""
            add("**edge-load's ceiling in this run: \(atLeast)\(Format.rate(ceiling)) requests/s** (non-streaming, one event-loop thread).", "")
        } else {
            add("**edge-load held none of the rates tried against the static answer.**", "")
        }
        if let knee = results.knee("direct") {
            add(
                "The simulator itself (the direct path, sharing the generator's core) held up to "
                    + "\(Format.rate(knee)) requests/s: no proxied path can show a knee above that.", "")
        }
    }

    // MARK: Scenario A

    private mutating func scenarioA() {
        add("## Scenario A: non-streaming, zero-delay upstream", "")
        let rates = results.rates
        guard !rates.isEmpty else {
            add("Not measured in this run.", "")
            return
        }
        add("### Latency by offered rate (p50 / p99, ms)", "")
        add("✗ marks a step that did not hold (reasons below the table); — a step not run because the path had already failed.", "")
        var failures: [String] = []
        var rows: [[String]] = []
        for rate in rates {
            var row = [Format.rate(rate) + "/s"]
            for path in results.pathIDs {
                guard let entry = results.rateRuns[path]?[rate] else {
                    row.append("—")
                    continue
                }
                let latency = entry.report.latencyMs.map { "\(Format.ms($0.p50)) / \(Format.ms($0.p99))" } ?? "no answers"
                let retry = entry.retried ? " (repeat)" : ""
                if entry.verdict.held {
                    row.append(latency + retry)
                } else {
                    row.append("✗ " + latency + retry)
                    failures.append("\(results.pathName(path)) at \(Format.rate(rate))/s: \(entry.verdict.reason)")
                }
            }
            rows.append(row)
        }
        table(["offered rate"] + results.pathIDs.map(results.pathName), rows)
        if !failures.isEmpty {
            add("Steps that did not hold:", "")
            for failure in failures { add("- " + failure) }
            add("")
        }

        add("### Added latency versus direct (ms, p50 / p99)", "")
        var addedRows: [[String]] = []
        for rate in rates {
            guard let direct = results.rateRuns["direct"]?[rate]?.report.latencyMs else { continue }
            var row = [Format.rate(rate) + "/s"]
            for path in results.proxyIDs {
                guard let entry = results.rateRuns[path]?[rate], let latency = entry.report.latencyMs else {
                    row.append("—")
                    continue
                }
                let text = "\(Format.signedMs(latency.p50 - direct.p50)) / \(Format.signedMs(latency.p99 - direct.p99))"
                row.append(entry.verdict.held ? text : "✗ " + text)
            }
            row.append(addedRatio(rate: rate, direct: direct))
            addedRows.append(row)
        }
        table(["offered rate"] + results.proxyIDs.map(results.pathName) + ["EdgeRouter ÷ nginx, added p99"], addedRows)

        add("### Highest rate held (the knee)", "")
        var kneeRows: [[String]] = []
        let directKnee = results.knee("direct")
        let routerKnee = results.knee("router")
        for path in results.pathIDs {
            guard let tried = results.lowestTried(path) else { continue }
            guard let knee = results.knee(path) else {
                kneeRows.append([results.pathName(path), "none (below \(Format.rate(tried))/s)", "—", "—"])
                continue
            }
            let toDirect = directKnee.map { Format.ratio(Double(knee) / Double($0)) } ?? "—"
            let routerTo = path == "router" ? "—" : routerKnee.map { Format.ratio(Double($0) / Double(knee)) } ?? "—"
            kneeRows.append([results.pathName(path), Format.rate(knee) + "/s", toDirect, routerTo])
        }
        table(["path", "highest rate held", "÷ direct", "EdgeRouter ÷ this path"], kneeRows)
    }

    /// EdgeRouter's added p99 divided by nginx's at one rate, when both held and nginx added something measurable.
    private func addedRatio(rate: Int, direct: LoadReport.Percentiles) -> String {
        guard let router = results.rateRuns["router"]?[rate], let nginx = results.rateRuns["nginx"]?[rate],
            router.verdict.held, nginx.verdict.held, let routerP99 = router.report.latencyMs?.p99,
            let nginxP99 = nginx.report.latencyMs?.p99
        else { return "—" }
        let nginxAdded = nginxP99 - direct.p99
        guard nginxAdded >= Targets.smallestMeasurableMs else { return "nginx added < \(Format.ms(Targets.smallestMeasurableMs)) ms" }
        return Format.ratio((routerP99 - direct.p99) / nginxAdded)
    }

    // MARK: Scenario B

    private mutating func scenarioB() {
        let b = info.scenarioB
        add(
            "## Scenario B: streaming, \(Format.ms(b.ttftMs)) ms TTFT then \(b.deltas) deltas \(Format.ms(b.gapMs)) ms apart",
            "")
        let levels = results.levels
        guard !levels.isEmpty else {
            add("Not measured in this run.", "")
            return
        }
        if let capped = b.cappedLevel, let reason = b.capReason {
            add("The top level is \(Format.rate(capped)) streams, not 10,000: \(reason)", "")
        }
        add("### Per level (ms)", "")
        var rows: [[String]] = []
        for level in levels {
            for path in results.pathIDs {
                guard let entry = results.streamRuns[path]?[level] else { continue }
                let report = entry.report
                let ttft = report.ttftMs
                let gap = report.gapMs
                rows.append([
                    Format.rate(level), results.pathName(path),
                    ttft.map { Format.ms($0.p50) } ?? "—", ttft.map { Format.ms($0.p99) } ?? "—",
                    gap.map { Format.ms($0.p50) } ?? "—", gap.map { Format.ms($0.p99) } ?? "—", gap.map { Format.ms($0.max) } ?? "—",
                    String(report.stalls?.streamsWithStall ?? 0), String(report.succeeded),
                    report.failed == 0 ? "0" : "\(report.failed) \(Format.errors(report.errors))",
                    report.inFlight.map { String(format: "%.0f", $0.mean) } ?? "—",
                    entry.verdict.held ? "yes" : "no: " + entry.verdict.reason,
                ])
            }
        }
        table(
            ["streams", "path", "TTFT p50", "TTFT p99", "gap p50", "gap p99", "gap max", "stalled streams", "streams done",
                "errors", "mean in flight", "held"], rows)

        add(
            "### Added versus direct (ms)", "",
            "Only at levels the direct path held: above them the simulator and the generator are saturated and "
                + "differences between paths say nothing about the paths.", "")
        var addedRows: [[String]] = []
        for level in levels {
            guard let directEntry = results.streamRuns["direct"]?[level], directEntry.verdict.held,
                let directTTFT = directEntry.report.ttftMs, let directGap = directEntry.report.gapMs
            else { continue }
            for path in results.proxyIDs {
                guard let entry = results.streamRuns[path]?[level], let ttft = entry.report.ttftMs, let gap = entry.report.gapMs
                else { continue }
                var toNginx = "—"
                if path == "router", let nginx = results.streamRuns["nginx"]?[level]?.report.ttftMs {
                    let nginxAdded = nginx.p99 - directTTFT.p99
                    toNginx = nginxAdded >= Targets.smallestMeasurableMs
                        ? Format.ratio((ttft.p99 - directTTFT.p99) / nginxAdded)
                        : "nginx added < \(Format.ms(Targets.smallestMeasurableMs)) ms"
                }
                addedRows.append([
                    Format.rate(level), results.pathName(path) + (entry.verdict.held ? "" : " ✗"),
                    Format.signedMs(ttft.p50 - directTTFT.p50), Format.signedMs(ttft.p99 - directTTFT.p99),
                    Format.signedMs(gap.p99 - directGap.p99), toNginx,
                ])
            }
        }
        table(["streams", "path", "+TTFT p50", "+TTFT p99", "+gap p99", "EdgeRouter ÷ nginx, +TTFT p99"], addedRows)

        add("### Most concurrent streams held", "")
        var heldRows: [[String]] = []
        for path in results.pathIDs where results.streamRuns[path] != nil {
            let tried = results.streamRuns[path]?.keys.sorted().map(Format.rate).joined(separator: ", ") ?? ""
            heldRows.append([results.pathName(path), results.mostStreams(path).map(Format.rate) ?? "none", tried])
        }
        table(["path", "most streams held", "levels tried"], heldRows)
    }

    // MARK: Scenario C

    private mutating func scenarioC() {
        add("## Scenario C: memory and CPU", "")
        add(
            "Resident memory is VmRSS summed over each server's process tree (nginx: master and worker; LiteLLM: its "
                + "proxy process and workers). CPU is user plus system time of the tree inside each measured window.",
            "")
        let processKey: [String: String] = ["direct": "upstream", "router": "proxy", "nginx": "proxy", "litellm": "proxy"]
        var rows: [[String]] = []
        for path in results.proxyIDs + ["simulator"] {
            let key = path == "simulator" ? "upstream" : processKey[path] ?? "proxy"
            let runsA = path == "simulator" ? (results.rateRuns["direct"] ?? [:]) : (results.rateRuns[path] ?? [:])
            let runsB = path == "simulator" ? (results.streamRuns["direct"] ?? [:]) : (results.streamRuns[path] ?? [:])
            let peakA = runsA.values.compactMap { $0.report.processes[key]?.rssPeakKib }.max()
            let peakB = runsB.values.compactMap { $0.report.processes[key]?.rssPeakKib }.max()
            let name = path == "simulator" ? "simulator (the upstream, on the direct path)" : results.pathName(path)
            rows.append([
                name,
                info.idleRssKib[path].map(Format.mib) ?? "—",
                info.idleRssAfterKib[path].map(Format.mib) ?? "—",
                peakA.map(Format.mib) ?? "—",
                peakB.map(Format.mib) ?? "—",
            ])
        }
        table(["process", "idle RSS at start", "idle RSS after the run", "peak RSS, scenario A", "peak RSS, scenario B"], rows)

        add("### CPU seconds per 1,000 requests (scenario A)", "")
        var cpuRows: [[String]] = []
        for rate in results.rates {
            var row = [Format.rate(rate) + "/s"]
            for path in results.proxyIDs {
                row.append(cpuPerThousand(results.rateRuns[path]?[rate], key: "proxy"))
            }
            row.append(cpuPerThousand(results.rateRuns["direct"]?[rate], key: "upstream"))
            cpuRows.append(row)
        }
        table(["offered rate"] + results.proxyIDs.map(results.pathName) + ["simulator (direct path)"], cpuRows)
        if let routerKnee = results.knee("router"), let nginxKnee = results.knee("nginx") {
            let common = min(routerKnee, nginxKnee)
            if let router = cpuValue(results.rateRuns["router"]?[common], key: "proxy"),
                let nginx = cpuValue(results.rateRuns["nginx"]?[common], key: "proxy"), nginx > 0
            {
                add(
                    "At \(Format.rate(common))/s, the highest rate both held, EdgeRouter spends "
                        + "\(Format.ratio(router / nginx)) nginx's CPU per request.", "")
            }
        }

        add("### CPU used while holding streams (scenario B, cores)", "")
        var streamRows: [[String]] = []
        for level in results.levels {
            var row = [Format.rate(level)]
            for path in results.proxyIDs {
                guard let report = results.streamRuns[path]?[level]?.report, let cpu = report.processes["proxy"] else {
                    row.append("—")
                    continue
                }
                row.append(String(format: "%.2f", cpu.cpuSeconds / report.durationSeconds))
            }
            streamRows.append(row)
        }
        table(["streams"] + results.proxyIDs.map(results.pathName), streamRows)
    }

    private func cpuValue(_ entry: ResultSet.Entry?, key: String) -> Double? {
        guard let entry, entry.report.succeeded > 0, let cpu = entry.report.processes[key]?.cpuSeconds else { return nil }
        return cpu / (Double(entry.report.succeeded) / 1000)
    }

    private func cpuPerThousand(_ entry: ResultSet.Entry?, key: String) -> String {
        guard let value = cpuValue(entry, key: key) else { return "—" }
        return String(format: "%.3f", value) + (entry?.verdict.held == false ? " ✗" : "")
    }

    // MARK: Routing quality and notes

    private mutating func routingQuality() {
        guard let summary = RoutingSummary(results: results) else {
            add(
                "## Routing quality", "",
                "Not measured in this run (`scripts/bench` runs it unless `--only load` is given).", "")
            return
        }
        lines += RoutingSection(summary: summary, chartLink: chartLink).lines()
    }

    private mutating func notes() {
        guard !info.notes.isEmpty else { return }
        add("## Notes on this run", "")
        for note in info.notes { add("- " + note) }
        add("")
    }
}
