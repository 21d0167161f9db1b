import Foundation

/// What `scripts/bench` knows about a run that the load reports do not: the commit, the machine, the paths and
/// their processes, idle memory, and the scenario parameters. Written by the script as `run.json`.
struct RunInfo: Decodable {
    struct Machine: Decodable {
        var nproc: Int
        var cpu: String
        var kernel: String
        var os: String
        var memoryGib: Double
    }

    /// One way of reaching the simulator.
    struct Path: Decodable {
        /// `direct`, `router`, `nginx`, `litellm`.
        var id: String
        /// Human name for tables.
        var name: String
    }

    struct ScenarioA: Decodable {
        var rates: [Double]
        var warmupS: Double
        var durationS: Double
        var p99BoundMs: Double
        var maxErrorRatio: Double
        /// The cores each proxy was pinned to (nil: a run from before the script recorded it, or unpinned).
        var proxyCores: Int?
    }

    struct ScenarioB: Decodable {
        var levels: [Int]
        var ttftMs: Double
        var deltas: Int
        var gapMs: Double
        var stallMs: Double
        var rampS: Double
        var warmupS: Double
        var durationS: Double
        /// The level the issue asks for that the machine cannot reach, with the reason (file descriptors).
        var cappedLevel: Int?
        var capReason: String?
    }

    /// The routing-quality scenario as the script ran it.
    struct Routing: Decodable {
        /// One way of choosing a provider per request.
        struct Strategy: Decodable {
            /// `oracle`, `round-robin`, `router`, `litellm`.
            var id: String
            var name: String
            /// How it routes, in a sentence, for the report.
            var how: String
        }

        var rate: Double
        var warmupS: Double
        var phaseSeconds: Double
        var answerTokens: Int?
        var strategies: [Strategy]
        /// The TTFT-over-time chart, relative to the results folder; nil when it could not be drawn.
        var chart: String?
    }

    /// The TLS upstream rows as the script ran them: EdgeRouter and nginx, each the twin of its plain path with only
    /// the upstream changed to an HTTPS simulator (certificate from a test CA made at run time, which both verify).
    struct TLS: Decodable {
        /// One TLS path.
        struct Path: Decodable {
            /// `router-tls`, `nginx-tls`.
            var id: String
            var name: String
            /// The plain path it is the HTTPS twin of (`router`, `nginx`).
            var plain: String
        }

        var paths: [Path]
        /// The scenario A rates the TLS paths ran at (a subset of scenario A's).
        var rates: [Int]
        /// The scenario B levels the TLS paths ran at (a subset of scenario B's).
        var levels: [Int]
        /// The simulator certificate's key, as openssl names it.
        var certificate: String?

        /// The TLS twin of a plain path, if the run has one.
        func twin(of plain: String) -> Path? {
            paths.first { $0.plain == plain }
        }
    }

    var commit: String
    /// Whether the measured tree had changes not in the commit (Sources or the manifest).
    var dirty: Bool
    /// "working tree" or "commit export".
    var source: String
    var date: String
    var command: String
    var mode: String
    var machine: Machine
    var pinning: String
    var versions: [String: String]
    var litellmWorkers: Int?
    var fdLimit: Int
    var paths: [Path]
    /// Resident memory of each process tree (router, nginx, litellm, simulator) after start-up, before any
    /// request, and again after all load, in KiB.
    var idleRssKib: [String: Int]
    var idleRssAfterKib: [String: Int]
    /// The anonymous part of those (RssAnon: heap and stacks, not the files mapped), in KiB; nil in runs from before
    /// the script recorded it.
    var idleRssAnonKib: [String: Int]?
    var idleRssAfterAnonKib: [String: Int]?
    /// What this run measured: `load` (the harness ceiling, scenarios A to C) and/or `routing`.
    var scenarios: [String]?
    var scenarioA: ScenarioA
    var scenarioB: ScenarioB
    var routing: Routing?
    /// Nil when the run had no TLS rows (`--skip-tls`, `--only routing`, or a run from before they existed).
    var tls: TLS?
    /// Lines the script wants in the report (choices it made, things it skipped).
    var notes: [String]
    /// The profiling step (`profile/`): each proxy loaded once more while `perf record` sampled it; nil when the
    /// run had none (no perf here, or a run from before the script profiled).
    var profile: Profile?

    /// How the proxies were profiled.
    struct Profile: Decodable {
        /// The offered rate of the profiled steps (requests/s, non-streaming, scenario A's servers and pinning).
        var rate: Int
        /// perf's sampling frequency (Hz) and how long it sampled each proxy (s).
        var hz: Int
        var seconds: Double
        /// Why the proxies were not profiled, when they were not.
        var skipped: String?
    }

    /// Whether the run measured a part (runs written before `scenarios` existed measured only the load part).
    func ran(_ part: String) -> Bool {
        scenarios?.contains(part) ?? (part == "load")
    }

    static func load(_ url: URL) throws -> RunInfo {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(RunInfo.self, from: Data(contentsOf: url))
    }
}
