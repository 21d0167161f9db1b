/// "Where the CPU goes": each proxy profiled in this run (``CPUProfile``), EdgeRouter beside nginx component by
/// component, in share of the samples and in µs per request, the difference spelled out, and EdgeRouter's heaviest
/// functions. This is the "why" behind the CPU-bound targets that are missed.
struct ProfileSection {
    let results: ResultSet

    /// The pairs compared: the plain proxies, then their TLS twins when the run profiled them.
    private var pairs: [(router: String, nginx: String, kind: String)] {
        var pairs = [("router", "nginx", "")]
        if let tls = results.info.tls, let router = tls.twin(of: "router")?.id, let nginx = tls.twin(of: "nginx")?.id {
            pairs.append((router, nginx, "TLS upstream"))
        }
        return pairs.filter { results.profiles[$0.0] != nil && results.profiles[$0.1] != nil }
    }

    /// The heading used by the targets' verdicts to point here.
    static let heading = "Where the CPU goes"

    func lines() -> [String] {
        var lines = ["## \(Self.heading)", ""]
        guard let profile = results.info.profile, !pairs.isEmpty else {
            let why = results.info.profile?.skipped.map { ": \($0)" } ?? ""
            return lines + ["Not profiled in this run\(why).", ""]
        }
        lines += [
            "While scenario A's servers were still up (pinned as there), each proxy was loaded once more at "
                + "\(Format.rate(profile.rate)) non-streaming requests/s, and `perf record -F \(profile.hz)` sampled it "
                + "for \(Format.seconds(profile.seconds)) s without call graphs. Each sample counts against the function "
                + "it landed in (self time) and that function's part below; *µs/request* is the part's share times the "
                + "proxy's CPU per request in that step (user + system time over edge-load's whole window; perf's "
                + "sampling interrupts add a little to both proxies).",
            "",
        ]
        for pair in pairs {
            guard let router = results.profiles[pair.router], let nginx = results.profiles[pair.nginx] else { continue }
            lines += comparison(router: router, nginx: nginx, pair: pair)
        }
        return lines
    }

    private func comparison(
        router: ResultSet.Profiled, nginx: ResultSet.Profiled, pair: (router: String, nginx: String, kind: String)
    ) -> [String] {
        let routerName = name(pair.router)
        let nginxName = name(pair.nginx)
        let title = pair.kind.isEmpty ? "### EdgeRouter and nginx" : "### EdgeRouter and nginx, \(pair.kind)"
        guard let routerCost = router.entry.cpuMicrosPerRequest, let nginxCost = nginx.entry.cpuMicrosPerRequest else {
            return [title, "", "The profiled steps recorded no CPU time; no per-request figures.", ""]
        }
        var lines = [
            title, "",
            "\(routerName): \(router.cpu.samples) samples, \(Format.micros(routerCost)) µs of CPU per request "
                + "(\(Format.rate(router.entry.report.achievedRate))/s answered); \(nginxName): \(nginx.cpu.samples) "
                + "samples, \(Format.micros(nginxCost)) µs per request. EdgeRouter ÷ nginx: "
                + "\(Format.ratio(routerCost / max(nginxCost, .leastNonzeroMagnitude))).",
            "",
        ]
        var rows: [[String]] = []
        var differences: [(CPUProfile.Component, Double)] = []
        for component in CPUProfile.Component.allCases {
            let routerShare = router.cpu.share(component)
            let nginxShare = nginx.cpu.share(component)
            guard routerShare > 0 || nginxShare > 0 else { continue }
            let routerMicros = routerShare * routerCost
            let nginxMicros = nginxShare * nginxCost
            differences.append((component, routerMicros - nginxMicros))
            rows.append([
                component.rawValue, Self.percent(routerShare), Format.micros(routerMicros), Self.percent(nginxShare),
                Format.micros(nginxMicros), Self.signedMicros(routerMicros - nginxMicros),
            ])
        }
        rows.append(["**all**", "100 %", Format.micros(routerCost), "100 %", Format.micros(nginxCost), Self.signedMicros(routerCost - nginxCost)])
        lines += Markdown.table(
            ["part", "EdgeRouter share", "EdgeRouter µs/request", "nginx share", "nginx µs/request", "difference µs"], rows)

        let gap = routerCost - nginxCost
        let largest = differences.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.prefix(4)
        if gap > 0, !largest.isEmpty {
            let parts = largest.map { "\($0.0.rawValue) \(Self.signedMicros($0.1)) µs (\(Self.percent($0.1 / gap)) of the gap)" }
            lines += [
                "Of the \(Format.micros(gap)) µs per request EdgeRouter spends beyond nginx, the largest parts: "
                    + parts.joined(separator: "; ") + ".",
                "",
            ]
        }
        let top = router.cpu.topFunctions(12)
        if !top.isEmpty {
            lines += ["\(routerName)'s heaviest functions (self time):", ""]
            lines += Markdown.table(
                ["function", "part", "share", "µs/request"],
                top.map { ["`\($0.name)`", $0.component.rawValue, Self.percent($0.share), Format.micros($0.share * routerCost)] })
        }
        return lines
    }

    /// A path's name for the tables, TLS twins included.
    private func name(_ path: String) -> String {
        results.info.tls?.paths.first { $0.id == path }?.name ?? results.pathName(path)
    }

    /// A share as a percentage with one decimal: 12.3 %.
    static func percent(_ share: Double) -> String {
        String(format: "%.1f %%", share * 100)
    }

    /// µs with a sign: +12.3, -4.0.
    static func signedMicros(_ value: Double) -> String {
        (value >= 0 ? "+" : "-") + Format.micros(abs(value))
    }
}
