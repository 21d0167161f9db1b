@testable import ProviderSim

@testable import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Numbers from outside (configuration, simulator settings) that once went through trapping conversions: each is
/// refused or clamped, never a crash.
@Suite("Outside numbers never trap", .timeLimit(.minutes(2)))
struct NumericInputTests {
    @Test("a fixed hedge delay too large for nanoseconds is a configuration error, not a trap")
    func hugeHedgeDelay() {
        let yaml = testYAML(ports: [1]).replacingOccurrences(of: "  - name: m\n", with: "  - name: m\n    hedge: 99999999999999999ms\n")
        let issues = ConfigurationTests.issues(yaml)
        #expect(issues.contains { $0.contains("hedge") && $0.contains("86400000") }, "\(issues)")
    }

    @Test("simulator settings too large for whole numbers are refused", arguments: ["seed", "answer_tokens", "error_status", "retry_after_s", "cut_after_tokens", "prompt_tokens"])
    func hugeSimulatorWholes(_ key: String) {
        var settings = SimulatorSettings()
        #expect(throws: (any Error).self) { try settings.apply(json: [key: NSNumber(value: 1e30)]) }
    }

    @Test("a simulated first-token time of 1e300 ms and the slowest token rate are clamped, not trapped")
    func hugeSimulatorTimes() async throws {
        var settings = SimulatorSettings()
        try settings.apply(json: ["ttft_ms": NSNumber(value: 1e300), "tokens_per_second": NSNumber(value: 0.001)])
        let sim = ProviderSimulator(settings: settings, logger: RouterHarness.logger)
        let plan = sim.plan(headers: HTTPHeaders())
        #expect(plan.ttft == .seconds(86_400))
        #expect(plan.gap == .seconds(1000))
    }
}
