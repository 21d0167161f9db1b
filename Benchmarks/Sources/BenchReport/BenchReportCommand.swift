import ArgumentParser
import EdgeLoadCore
import Foundation

/// `bench-report`: judges single runs for `scripts/bench`, and turns a whole results folder into the report.
@main
struct BenchReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-report",
        abstract: "Judge edge-load results and write docs/benchmarks.md from a scripts/bench results folder.",
        subcommands: [JudgeCommand.self, RenderCommand.self, ProfileCommand.self]
    )
}

/// `bench-report judge FILE`: exit status 0 when the run held its load, 1 when it did not; one line on stdout.
struct JudgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge", abstract: "Say whether one edge-load run held (exit 0) or not (exit 1).")

    @Argument(help: "An edge-load JSON report.")
    var file: String

    @Option(help: "Rate runs: the p99 bound in ms.")
    var p99BoundMs: Double = 10

    @Option(help: "Rate runs: the share of requests that may fail.")
    var maxErrorRatio: Double = 0.001

    @Option(help: "Streamed runs: every successful stream must have carried exactly this many content deltas.")
    var expectDeltas: Int?

    func run() throws {
        let report = try LoadReport.decode(Data(contentsOf: URL(fileURLWithPath: file)))
        var verdict: Verdict
        var summary: String
        if report.mode == "rate" {
            verdict = Verdict.rate(report, .init(p99BoundMs: p99BoundMs, maxErrorRatio: maxErrorRatio))
            summary = "\(Format.rate(report.achievedRate))/s"
            if let latency = report.latencyMs { summary += " p50 \(Format.ms(latency.p50)) ms p99 \(Format.ms(latency.p99)) ms" }
        } else {
            verdict = Verdict.streams(report)
            summary = "\(report.succeeded) streams"
            if let ttft = report.ttftMs { summary += " TTFT p50 \(Format.ms(ttft.p50)) p99 \(Format.ms(ttft.p99)) ms" }
            if let gap = report.gapMs { summary += " gap p99 \(Format.ms(gap.p99)) max \(Format.ms(gap.max)) ms" }
        }
        if report.failed > 0 { summary += " errors \(report.failed) \(Format.errors(report.errors))" }
        if let expectDeltas, report.contentDeltas != expectDeltas * report.succeeded {
            // The smoke check: proves TTFT is timed on real content frames on this path, whatever its framing.
            verdict = Verdict(
                held: false,
                reason: "\(report.contentDeltas) content deltas in \(report.succeeded) streams, expected \(expectDeltas) each")
        }
        print("\(verdict.held ? "held" : "NOT HELD"): \(summary)\(verdict.held ? "" : " [\(verdict.reason)]")")
        if !verdict.held { throw ExitCode(1) }
    }
}

/// `bench-report render`: the markdown report, and the raw results bundled as one JSON file beside it.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Write the benchmark report from a results folder.")

    @Option(help: "The results folder scripts/bench wrote (run.json, ceiling/, A/, B/, routing/).")
    var results: String

    @Option(help: "Where to write the markdown report.")
    var output: String

    @Option(help: "Where to write every raw result of the run, bundled as one JSON file.")
    var rawOutput: String?

    @Option(help: "Where to copy the routing chart (PNG); without it the report links to the one in the results folder.")
    var chartOutput: String?

    func run() throws {
        let folder = URL(fileURLWithPath: results)
        let set: ResultSet
        do {
            set = try ResultSet(directory: folder)
        } catch let error as ReportError {
            throw ValidationError(error.description)
        }
        let chart = try placeChart(set.info.routing?.chart.map { folder.appendingPathComponent($0) })
        try Data(MarkdownReport(results: set, chartLink: chart).render().utf8).write(to: URL(fileURLWithPath: output))
        if let rawOutput {
            try Data(try Self.bundle(folder)).write(to: URL(fileURLWithPath: rawOutput))
        }
    }

    /// Copies the run's chart to `--chart-output` when given; returns how the report links to it (relative to the
    /// report's folder when it is below it), or nil when the run has no chart.
    private func placeChart(_ chart: URL?) throws -> String? {
        guard let chart, FileManager.default.fileExists(atPath: chart.path) else { return nil }
        var placed = chart
        if let chartOutput {
            placed = URL(fileURLWithPath: chartOutput)
            try? FileManager.default.removeItem(at: placed)
            try FileManager.default.copyItem(at: chart, to: placed)
        }
        let reportFolder = URL(fileURLWithPath: output).deletingLastPathComponent().standardizedFileURL.path + "/"
        let path = placed.standardizedFileURL.path
        return path.hasPrefix(reportFolder) ? String(path.dropFirst(reportFolder.count)) : path
    }

    /// `{"run": run.json, "results": {"A/router-1000": {...}, ...}, "upstream_connections": {"A/router-1000": 3, ...},
    /// "profiles": {"router": {"samples": 9000, "parts": {...}, "functions": {...}}}}`, keys sorted, so diffs between
    /// runs are readable. A profile keeps its samples per part and its 40 heaviest functions, not perf's raw text.
    static func bundle(_ folder: URL) throws -> Data {
        var results: [String: Any] = [:]
        for sub in ["ceiling", "A", "B", "routing", "profile"] {
            let dir = folder.appendingPathComponent(sub)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasSuffix(".json") {
                let data = try Data(contentsOf: dir.appendingPathComponent(name))
                results["\(sub)/\(name.dropLast(5))"] = try JSONSerialization.jsonObject(with: data)
            }
        }
        // The proxies' upstream connection counts (`A/router-tls-1000.connections`), under the same keys.
        var connections: [String: Int] = [:]
        for sub in ["A", "B"] {
            for (name, count) in try ResultSet.connections(in: folder.appendingPathComponent(sub)) {
                connections["\(sub)/\(name)"] = count
            }
        }
        var profiles: [String: Any] = [:]
        let profileFolder = folder.appendingPathComponent("profile")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: profileFolder.path)) ?? [] where name.hasSuffix(".txt") {
            let profile = CPUProfile(perfScript: try String(contentsOf: profileFolder.appendingPathComponent(name), encoding: .utf8))
            var parts: [String: Int] = [:]
            for (component, samples) in profile.byComponent { parts[component.rawValue] = samples }
            var functions: [String: Double] = [:]
            for function in profile.topFunctions(40) { functions[function.name] = function.share }
            profiles[String(name.dropLast(4))] = ["samples": profile.samples, "parts": parts, "function_shares": functions]
        }
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("run.json")))
        return try JSONSerialization.data(
            withJSONObject: ["run": run, "results": results, "upstream_connections": connections, "profiles": profiles],
            options: [.prettyPrinted, .sortedKeys])
    }
}

/// `bench-report profile FILE`: one `perf script -F ip,sym,dso | swift demangle` capture split as the report splits
/// it (parts, then the heaviest functions), for profiling by hand what `scripts/bench` profiles in a run.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Split perf samples (perf script -F ip,sym,dso, demangled) by part and function.")

    @Argument(help: "The demangled perf script text.")
    var file: String

    @Option(help: "How many of the heaviest functions to list.")
    var functions: Int = 25

    func run() throws {
        let profile = CPUProfile(perfScript: try String(contentsOfFile: file, encoding: .utf8))
        func line(_ share: Double, _ name: String) {
            print(ProfileSection.percent(share).padding(toLength: 9, withPad: " ", startingAt: 0) + name)
        }
        print("\(profile.samples) samples")
        for component in CPUProfile.Component.allCases where profile.share(component) > 0 {
            line(profile.share(component), component.rawValue)
        }
        print("")
        for function in profile.topFunctions(functions) { line(function.share, function.name) }
    }
}
