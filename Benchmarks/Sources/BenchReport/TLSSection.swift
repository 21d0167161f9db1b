import EdgeLoadCore

/// The TLS upstreams part of the report: scenarios A and B through EdgeRouter and nginx to an HTTPS simulator, each
/// beside its plain twin from the same turns, with CPU per request and per content delta, upstream connections per
/// request, latency and TTFT, the TLS ÷ plain and EdgeRouter ÷ nginx ratios, and #18's targets judged with TLS (``DataPlaneTargets``).
struct TLSSection {
    let results: ResultSet
    let tls: RunInfo.TLS

    /// The paths compared, in table order: each plain proxy followed by its TLS twin.
    private var rows: [String] {
        ["router", "nginx"].flatMap { plain in [plain] + (tls.twin(of: plain).map { [$0.id] } ?? []) }
    }

    private var routerTLS: String { tls.twin(of: "router")?.id ?? "router-tls" }
    private var nginxTLS: String { tls.twin(of: "nginx")?.id ?? "nginx-tls" }

    /// The section's markdown lines, or a short statement when the run had no TLS rows.
    static func lines(results: ResultSet) -> [String] {
        guard let tls = results.info.tls else {
            return [
                "## TLS upstreams", "",
                "Not measured in this run (`--skip-tls`, or a run from before `scripts/bench` measured them).", "",
            ]
        }
        return TLSSection(results: results, tls: tls).lines()
    }

    func lines() -> [String] {
        var lines = ["## TLS upstreams", ""]
        lines += intro()
        lines += scenarioA()
        lines += scenarioB()
        lines += DataPlaneTargets.tls(results, tls).section()
        return lines
    }

    private func name(_ path: String) -> String {
        tls.paths.first { $0.id == path }?.name ?? results.pathName(path)
    }

    private func intro() -> [String] {
        let key = tls.certificate.map { " (\($0) key)" } ?? ""
        return [
            "Every real provider is HTTPS. Here a second simulator serves HTTPS with a certificate\(key) signed by a "
                + "test CA made at the start of the run (`scripts/make-test-ca`), and EdgeRouter (the provider's "
                + "`ca_bundle`) and nginx (`proxy_ssl_verify on`, `proxy_ssl_trusted_certificate`, "
                + "`proxy_ssl_session_reuse on`, the same `keepalive` upstream pool) verify it. Each TLS path is its "
                + "plain twin's configuration with only the upstream changed, on the same CPUs, and runs in the same "
                + "turns as the plain paths, at a subset of their rates and levels (scenario A: "
                + tls.rates.map(Format.rate).joined(separator: ", ") + " requests/s; scenario B: "
                + (tls.levels.isEmpty ? "none" : tls.levels.map(Format.rate).joined(separator: ", ")) + " streams), "
                + "with the same escalation (a step that fails is repeated once; two failed steps in a row end a "
                + "path's ladder).",
            "",
            "- **CPU** is the proxy's user + system time over the measured window, per request answered (A) or per "
                + "content delta delivered (B).",
            "- **Upstream connections per request** are the connections the simulator behind the path accepted during "
                + "the step (its `/_sim/stats` counter, warm-up and drain included; the bench's routers run no probes) over "
                + "the requests answered in the measured window: an upper bound on handshakes per request (TCP, and "
                + "TLS on the HTTPS upstream). Far below 1 means connections are reused.",
            "- **Added** latency or TTFT is the path's p99 minus the direct path's (plain simulator) at the same step.",
            "",
        ]
    }

    // MARK: Scenario A

    private func scenarioA() -> [String] {
        var lines = ["### Scenario A with TLS upstreams: non-streaming, zero-delay upstream", ""]
        let rates = tls.rates.filter { rate in rows.contains { results.rateRuns[$0]?[rate] != nil } }
        guard !rates.isEmpty else { return lines + ["Not measured in this run.", ""] }
        var table: [[String]] = []
        for rate in rates {
            let direct = results.rateRuns["direct"]?[rate]?.report.latencyMs
            for path in rows {
                guard let entry = results.rateRuns[path]?[rate] else { continue }
                let latency = entry.report.latencyMs
                table.append([
                    Format.rate(rate) + "/s", name(path),
                    latency.map { "\(Format.ms($0.p50)) / \(Format.ms($0.p99))" } ?? "no answers",
                    latency.flatMap { own in direct.map { Format.signedMs(own.p99 - $0.p99) } } ?? "—",
                    entry.cpuMicrosPerRequest.map(Format.micros) ?? "—",
                    entry.handshakesPerRequest.map(Format.handshakes) ?? "—",
                    held(entry),
                ])
            }
        }
        lines += Markdown.table(
            ["offered", "path", "p50 / p99 ms", "added p99 ms", "CPU µs/request", "upstream connections/request", "held"],
            table)

        lines += [
            "Ratios of CPU per request (and of added p99, where both held and nginx added a measurable amount); ✗ marks "
                + "a ratio with a step that did not hold:", "",
        ]
        var ratios: [[String]] = []
        for rate in rates {
            let entry = { (path: String) in results.rateRuns[path]?[rate] }
            let cpu = { (top: String, bottom: String) in
                Self.ratio(entry(top), entry(bottom)) { $0.cpuMicrosPerRequest }
            }
            ratios.append([
                Format.rate(rate) + "/s", cpu(routerTLS, "router"), cpu(nginxTLS, "nginx"), cpu("router", "nginx"),
                cpu(routerTLS, nginxTLS), addedP99Ratio(rate: rate),
            ])
        }
        lines += Markdown.table(
            ["offered", "EdgeRouter TLS ÷ plain", "nginx TLS ÷ plain", "EdgeRouter ÷ nginx, plain", "EdgeRouter ÷ nginx, TLS",
                "EdgeRouter ÷ nginx added p99, TLS"], ratios)

        var knees: [[String]] = []
        for plain in ["router", "nginx"] {
            let twin = tls.twin(of: plain)?.id
            knees.append([
                results.pathName(plain),
                results.knee(plain, among: tls.rates).map { Format.rate($0) + "/s" } ?? "none",
                twin.flatMap { results.knee($0, among: tls.rates) }.map { Format.rate($0) + "/s" } ?? "none",
            ])
        }
        lines += ["Highest of these rates held (the knee on the TLS rows' ladder):", ""]
        lines += Markdown.table(["proxy", "plain upstream", "HTTPS upstream"], knees)
        return lines
    }

    /// EdgeRouter's added p99 over nginx's, both with TLS, at one rate where both held.
    private func addedP99Ratio(rate: Int) -> String {
        guard let direct = results.rateRuns["direct"]?[rate]?.report.latencyMs,
            let router = results.rateRuns[routerTLS]?[rate], let nginx = results.rateRuns[nginxTLS]?[rate],
            router.verdict.held, nginx.verdict.held,
            let routerP99 = router.report.latencyMs?.p99, let nginxP99 = nginx.report.latencyMs?.p99
        else { return "—" }
        let nginxAdded = nginxP99 - direct.p99
        guard nginxAdded >= Targets.smallestMeasurableMs else {
            return "nginx added < \(Format.ms(Targets.smallestMeasurableMs)) ms"
        }
        return Format.ratio((routerP99 - direct.p99) / nginxAdded)
    }

    // MARK: Scenario B

    private func scenarioB() -> [String] {
        let b = results.info.scenarioB
        var lines = [
            "### Scenario B with TLS upstreams: streaming, \(Format.ms(b.ttftMs)) ms TTFT then \(b.deltas) deltas "
                + "\(Format.ms(b.gapMs)) ms apart", "",
        ]
        let levels = tls.levels.filter { level in rows.contains { results.streamRuns[$0]?[level] != nil } }
        guard !levels.isEmpty else { return lines + ["Not measured in this run.", ""] }
        var table: [[String]] = []
        for level in levels {
            let direct = results.streamRuns["direct"]?[level]?.report.ttftMs
            for path in rows {
                guard let entry = results.streamRuns[path]?[level] else { continue }
                let ttft = entry.report.ttftMs
                table.append([
                    Format.rate(level), name(path),
                    ttft.map { "\(Format.ms($0.p50)) / \(Format.ms($0.p99))" } ?? "—",
                    ttft.flatMap { own in direct.map { Format.signedMs(own.p99 - $0.p99) } } ?? "—",
                    entry.report.gapMs.map { Format.ms($0.p99) } ?? "—",
                    entry.cpuMicrosPerDelta.map(Format.micros) ?? "—",
                    entry.handshakesPerRequest.map(Format.handshakes) ?? "—",
                    String(entry.report.stalls?.streamsWithStall ?? 0),
                    held(entry),
                ])
            }
        }
        lines += Markdown.table(
            ["streams", "path", "TTFT p50 / p99 ms", "added TTFT p99 ms", "gap p99 ms", "CPU µs/delta",
                "upstream connections/stream", "stalled streams", "held"], table)

        lines += [
            "Ratios of CPU per content delta (and of added TTFT p99, where nginx added a measurable amount); ✗ marks a "
                + "ratio with a step that did not hold:", "",
        ]
        var ratios: [[String]] = []
        for level in levels {
            let entry = { (path: String) in results.streamRuns[path]?[level] }
            let cpu = { (top: String, bottom: String) in
                Self.ratio(entry(top), entry(bottom)) { $0.cpuMicrosPerDelta }
            }
            ratios.append([
                Format.rate(level), cpu(routerTLS, "router"), cpu(nginxTLS, "nginx"), cpu("router", "nginx"),
                cpu(routerTLS, nginxTLS),
                DataPlaneTargets.tls(results, tls).addedTTFTRatio(level: level).map { Format.ratio($0) } ?? "—",
            ])
        }
        lines += Markdown.table(
            ["streams", "EdgeRouter TLS ÷ plain", "nginx TLS ÷ plain", "EdgeRouter ÷ nginx, plain", "EdgeRouter ÷ nginx, TLS",
                "EdgeRouter ÷ nginx added TTFT p99, TLS"], ratios)
        return lines
    }

    /// A figure of one step over the same figure of another, marked ✗ when either step did not hold.
    static func ratio(_ top: ResultSet.Entry?, _ bottom: ResultSet.Entry?, _ figure: (ResultSet.Entry) -> Double?) -> String {
        guard let top, let bottom else { return "—" }
        let text = Format.ratio(figure(top), over: figure(bottom))
        return text == "—" || (top.verdict.held && bottom.verdict.held) ? text : text + " ✗"
    }

    private func held(_ entry: ResultSet.Entry) -> String {
        (entry.verdict.held ? "yes" : "no: " + entry.verdict.reason) + (entry.retried ? " (repeat)" : "")
    }
}
