import Foundation
import Testing

@testable import EdgeLoadCore

struct SimScheduleTests {
    static let json = """
        {"name": "t", "phase_seconds": 10,
         "defaults": {"answer_tokens": 8, "error_rate": 0, "ttft_sigma": 0.5},
         "providers": [
           {"name": "a", "settings": {"ttft_ms": 80, "ttft_distribution": "normal", "seed": 1}},
           {"name": "b", "settings": {"ttft_ms": 150, "ttft_distribution": "normal", "seed": 2}},
           {"name": "c", "settings": {"ttft_ms": 60, "ttft_distribution": "lognormal", "seed": 3}}],
         "phases": [
           {"name": "baseline"},
           {"name": "slowdown", "changes": {"c": {"ttft_ms": 500}}},
           {"name": "outage", "changes": {"a": {"error_rate": 1}}},
           {"name": "heavy tail", "changes": {"a": {"error_rate": 0}, "c": {"ttft_ms": 60, "ttft_sigma": 1.0}}},
           {"name": "all down", "changes": {"a": {"hang": true}, "b": {"error_rate": 1}, "c": {"error_rate": 1}}}]}
        """

    static func decode(_ text: String) throws -> SimSchedule {
        try JSONDecoder().decode(SimSchedule.self, from: Data(text.utf8))
    }

    @Test func changesLastUntilChangedAgain() throws {
        let schedule = try Self.decode(Self.json)
        #expect(schedule.state(phase: 0)[2].ttftMs == 60)
        #expect(schedule.state(phase: 1)[2].ttftMs == 500)
        #expect(schedule.state(phase: 2)[2].ttftMs == 500)
        #expect(schedule.state(phase: 2)[0].isDown)
        #expect(schedule.state(phase: 3)[2] == schedule.state(phase: 0)[2].applying(SimSettings(ttftSigma: 1.0)))
        #expect(schedule.state(phase: 0)[1].answerTokens == 8)
    }

    @Test func theOracleMinimizesTheExpectedTTFTOfProvidersUp() throws {
        let schedule = try Self.decode(Self.json)
        // Baseline: the log-normal's mean is 60 e^(0.5²/2) ≈ 68 ms, below 80.
        #expect(schedule.fastest(phase: 0) == 2)
        #expect(schedule.fastest(phase: 1) == 0)
        // sim-a is down, so the slow one.
        #expect(schedule.fastest(phase: 2) == 1)
        // A 60 ms median with σ 1 averages 99 ms: the steady 80 ms wins.
        #expect(schedule.fastest(phase: 3) == 0)
        #expect(schedule.fastest(phase: 4) == nil)
        // Into the outage and out of it, only providers up on both sides: b (c is slow on both).
        #expect(schedule.fastest(across: 2) == 1)
        #expect(schedule.fastest(across: 3) == 1)
        // Into the slowdown: a, since c is slow after it.
        #expect(schedule.fastest(across: 1) == 0)
    }

    @Test func rejectsMistakes() {
        #expect(throws: (any Error).self) { try Self.decode(Self.json.replacingOccurrences(of: "\"ttft_ms\": 500", with: "\"ttft\": 500")) }
        #expect(throws: (any Error).self) { try Self.decode(Self.json.replacingOccurrences(of: "{\"c\": {\"ttft_ms\": 500}}", with: "{\"d\": {}}")) }
        #expect(throws: (any Error).self) { try Self.decode(Self.json.replacingOccurrences(of: "\"seed\": 1", with: "\"hang\": false")) }
    }

    @Test func describesAndPostsSettings() throws {
        let schedule = try Self.decode(Self.json)
        let states = schedule.state(phase: 0)
        #expect(states[0].summary == "80 ms normal (sd 10)")
        #expect(states[2].summary == "60 ms log-normal σ 0.5 (mean 68)")
        #expect(schedule.state(phase: 2)[0].summary == "down (503 on every request)")
        #expect(SimSettings(ttftMs: 40, ttftSigma: 1.5, hang: false).configJSON == #"{"ttft_ms": 40, "ttft_sigma": 1.5, "hang": false}"#)
    }

    @Test func picksTargets() {
        var roundRobin = TargetPicker(strategy: .roundRobin, targets: 3)
        #expect((0..<5).map { _ in roundRobin.pick(offsetNanos: 0) } == [0, 1, 2, 0, 1])
        var oracle = TargetPicker(strategy: .oracle, targets: 3, choices: [2, 0, 1], handovers: [1, 2], phaseSeconds: 10)
        #expect(oracle.pick(offsetNanos: -5_000_000_000) == 2)  // warm-up: the first phase
        #expect(oracle.pick(offsetNanos: 9_800_000_000) == 2)
        #expect(oracle.pick(offsetNanos: 9_950_000_000) == 1)  // around the change: the handover choice
        #expect(oracle.pick(offsetNanos: 10_050_000_000) == 1)
        #expect(oracle.pick(offsetNanos: 10_200_000_000) == 0)
        #expect(oracle.pick(offsetNanos: 20_000_000_000) == 2)
        #expect(oracle.pick(offsetNanos: 99_000_000_000) == 1)  // drain: the last phase
        var single = TargetPicker(strategy: .url, targets: 1)
        #expect(single.pick(offsetNanos: 1) == 0)
    }

    @Test func figuresPerPhase() throws {
        let schedule = try Self.decode(Self.json)
        let plan = ScenarioPlan(schedule: schedule, sims: [], phaseSeconds: 10)
        let requests = [
            RequestRecord(startNanos: 1_000_000_000, totalNanos: 90_000_000, ttftNanos: 70_000_000, servedBy: "c"),
            RequestRecord(startNanos: 2_000_000_000, totalNanos: 100_000_000, ttftNanos: 80_000_000, servedBy: "a"),
            RequestRecord(startNanos: 21_000_000_000, totalNanos: 1_000_000, failure: .status(503), servedBy: "a"),
        ]
        let figures = ScenarioFigures(plan: plan, strategy: .url, requests: requests, appliedAt: [10.001])
        #expect(figures.phases.count == 5)
        #expect(figures.phases[0].started == 2 && figures.phases[0].servedBy == ["c": 1, "a": 1])
        #expect(figures.phases[0].fastest == "c")
        #expect(abs((figures.phases[0].ttftMs?.p50 ?? 0) - 70) < 0.1)
        #expect(figures.phases[1].appliedAtS == 10.001 && figures.phases[1].started == 0)
        #expect(figures.phases[2].failed == 1 && figures.phases[2].errors == ["http_503": 1])
        #expect(requests[2].csvLine == "21.000000,,1.000,http_503,a")
        #expect(requests[0].csvLine == "1.000000,70.000,90.000,ok,c")
    }
}
