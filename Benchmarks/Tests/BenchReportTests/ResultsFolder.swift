import Foundation

/// A `scripts/bench` results folder written by a test: `run.json`, load reports under `A/` and `B/`, and the
/// upstream connection counts beside them. Removed when the test ends.
final class ResultsFolder {
    let url: URL

    /// A folder with a run.json for a load run; `tls` adds the run's TLS rows at those rates and levels.
    init(tls: (rates: [Int], levels: [Int])? = nil, profile: [String: Any]? = nil, run extra: [String: Any] = [:]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("bench-report-tests-\(UUID().uuidString)")
        for sub in ["A", "B"] {
            try FileManager.default.createDirectory(at: url.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        var run: [String: Any] = [
            "commit": "abc1234", "dirty": false, "source": "working tree", "date": "2026-12-05T00:00:00Z",
            "command": "scripts/bench --quick", "mode": "quick",
            "machine": ["nproc": 2, "cpu": "test CPU", "kernel": "6.1", "os": "Debian", "memory_gib": 8.0],
            "pinning": "none", "versions": ["swift": "6.2"], "litellm_workers": NSNull(), "fd_limit": 65536,
            "paths": [
                ["id": "direct", "name": "direct to the simulator"], ["id": "router", "name": "EdgeRouter"],
                ["id": "nginx", "name": "nginx proxy_pass"],
            ],
            "idle_rss_kib": ["router": 30000], "idle_rss_after_kib": ["router": 31000], "scenarios": ["load"],
            "scenario_a": ["rates": [100, 1000, 2000], "warmup_s": 1, "duration_s": 4, "p99_bound_ms": 10, "max_error_ratio": 0.001],
            "scenario_b": [
                "levels": [100, 1000], "ttft_ms": 60, "deltas": 64, "gap_ms": 20, "stall_ms": 500, "ramp_s": 2,
                "warmup_s": 1.5, "duration_s": 4, "capped_level": NSNull(), "cap_reason": NSNull(),
            ],
            "routing": NSNull(), "notes": [],
        ]
        if let tls {
            run["tls"] = [
                "paths": [
                    ["id": "router-tls", "name": "EdgeRouter, HTTPS upstream", "plain": "router"],
                    ["id": "nginx-tls", "name": "nginx proxy_pass, HTTPS upstream", "plain": "nginx"],
                ],
                "rates": tls.rates, "levels": tls.levels, "certificate": "ECDSA P-256",
            ]
        }
        if let profile { run["profile"] = profile }
        run.merge(extra) { _, new in new }
        try write(run, to: "run.json")
    }

    /// A profiled step: `profile/PATH.json` (a rate report) and `profile/PATH.txt` (perf's samples, as given).
    func profiled(_ path: String, samples: String, succeeded: Int = 8000, cpuSeconds: Double) throws {
        try FileManager.default.createDirectory(at: url.appendingPathComponent("profile"), withIntermediateDirectories: true)
        var report = base(mode: "rate", stream: false, succeeded: succeeded, failed: 0, cpuSeconds: cpuSeconds)
        report["offered_rate"] = 2000.0
        report["latency_ms"] = percentiles(p50: 1, p99: 2)
        try write(report, to: "profile/\(path).json")
        try Data(samples.utf8).write(to: url.appendingPathComponent("profile/\(path).txt"))
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A scenario A step: `A/PATH-RATE[-retry].json`, with `connections` beside it when given.
    func rate(
        _ path: String, _ rate: Int, p50: Double = 1, p99: Double, succeeded: Int = 4000, failed: Int = 0,
        cpuSeconds: Double, connections: Int? = nil, retry: Bool = false
    ) throws {
        var report = base(mode: "rate", stream: false, succeeded: succeeded, failed: failed, cpuSeconds: cpuSeconds)
        report["offered_rate"] = Double(rate)
        report["latency_ms"] = percentiles(p50: p50, p99: p99)
        try step("A", "\(path)-\(rate)\(retry ? "-retry" : "")", report, connections: connections)
    }

    /// A scenario B step: `B/PATH-LEVEL.json`, every stream delivering `deltasPerStream` content deltas.
    func streams(
        _ path: String, _ level: Int, ttftP99: Double, succeeded: Int = 500, deltasPerStream: Int = 64,
        stalledStreams: Int = 0, cpuSeconds: Double, connections: Int? = nil
    ) throws {
        var report = base(
            mode: "concurrency", stream: true, succeeded: succeeded, failed: 0, cpuSeconds: cpuSeconds,
            deltas: succeeded * deltasPerStream)
        report["concurrency"] = level
        report["ttft_ms"] = percentiles(p50: ttftP99 - 1, p99: ttftP99)
        report["gap_ms"] = percentiles(p50: 20, p99: 21)
        report["stalls"] = [
            "threshold_ms": 500, "expected_ttftms": 60, "stalled_gaps": stalledStreams, "late_first_tokens": 0,
            "streams_with_stall": stalledStreams,
        ]
        report["in_flight"] = ["min": level, "mean": Double(level), "max": level]
        try step("B", "\(path)-\(level)", report, connections: connections)
    }

    /// Writes raw text as a connection count (to test what the reader does with a malformed one).
    func connectionsText(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }

    private func step(_ sub: String, _ name: String, _ report: [String: Any], connections: Int?) throws {
        try write(report, to: "\(sub)/\(name).json")
        if let connections { try connectionsText("\(sub)/\(name).connections", "\(connections)\n") }
    }

    private func base(mode: String, stream: Bool, succeeded: Int, failed: Int, cpuSeconds: Double, deltas: Int = 0) -> [String: Any] {
        [
            "target": "http://127.0.0.1:9/v1/chat/completions", "stream": stream, "mode": mode, "warmup_seconds": 1,
            "duration_seconds": 4, "ramp_seconds": 0, "timeout_seconds": 10, "threads": 1, "max_connections": 100,
            "started": succeeded + failed, "succeeded": succeeded, "failed": failed,
            "errors": failed > 0 ? ["timeout": failed] : [String: Int](), "achieved_rate": Double(succeeded) / 4,
            "started_rate": Double(succeeded + failed) / 4, "content_deltas": deltas, "connections_opened": 10,
            "processes": [
                "proxy": ["cpu_seconds": cpuSeconds, "rss_start_kib": 30000, "rss_peak_kib": 40000, "rss_end_kib": 35000, "processes": 1]
            ],
        ]
    }

    private func percentiles(p50: Double, p99: Double) -> [String: Any] {
        ["count": 1000, "p50": p50, "p90": p99, "p99": p99, "p999": p99, "max": p99, "mean": p50]
    }

    private func write(_ object: [String: Any], to name: String) throws {
        try JSONSerialization.data(withJSONObject: object).write(to: url.appendingPathComponent(name))
    }
}
