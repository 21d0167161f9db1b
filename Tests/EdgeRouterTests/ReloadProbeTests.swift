import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

/// Probe scheduling follows a reloaded configuration's deployments.
@Suite("Reload and probes", .timeLimit(.minutes(2)))
struct ReloadProbeTests {
    /// `m` on the given providers (of p0, p1, p2), probed every 100 ms.
    static func yaml(_ ports: [Int], deployments: [Int]) -> String {
        ConfigurationReloadTests.yaml(
            ports: ports,
            models: "  - { name: m, deployments: [\(deployments.map { "{ provider: p\($0), model: up-\($0) }" }.joined(separator: ", "))] }",
            keys: "  - { id: client, key: \(RouterHarness.clientKey) }")
            + "probes:\n  interval_ms: 100\n  open_interval_ms: 100\n  ready_timeout_ms: 20000\n  first_token_timeout_ms: 2000\n"
    }

    // A probe stops reading at its first token and closes its connection, so the simulator counts most probes as
    // cancelled, not completed (how many complete depends on timing alone): a probe is counted by `received`.
    @Test(
        "a reload that swaps p1 for p2 starts probing p2 at once and stops probing p1 (at most the one probe in flight at the reload reaches it after), while p0 goes on being probed"
    )
    func probesFollowTheDeployments() async throws {
        let file = ConfigurationReloadTests.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let sims = [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()]
        try await RouterHarness.run(sims: sims, configurationFile: file, yaml: { Self.yaml($0, deployments: [0, 1]) }) { harness in
            // Both deployments are probed (probes are the only traffic in this test).
            for index in 0..<2 {
                let stats = await harness.sims[index].waitForStats { $0.received >= 2 }
                #expect(stats.received >= 2, "p\(index) was not probed: \(stats)")
            }
            #expect(harness.sims[2].stats.received == 0)

            try Self.yaml(harness.simPorts, deployments: [0, 2]).write(to: file, atomically: true, encoding: .utf8)
            let reload = try await ConfigurationReloadTests.reload(harness)
            #expect(reload.status == 200, "\(reload.body)")
            let removedAtReload = harness.sims[1].stats.received
            let keptAtReload = harness.sims[0].stats.received

            let added = await harness.sims[2].waitForStats { $0.received >= 3 }
            #expect(added.received >= 3, "p2 was not probed after the reload: \(added)")
            // Several rounds of p0's probes later, p1 got no new probe but the one that may have been on its way.
            let kept = await harness.sims[0].waitForStats { $0.received >= keptAtReload + 4 }
            #expect(kept.received >= keptAtReload + 4, "p0 is no longer probed")
            #expect(harness.sims[1].stats.received <= removedAtReload + 1)

            let scrape = try await ConfigurationReloadTests.metrics(harness)
            #expect(scrape.contains(#"edge_probes_total{model="m",provider="p2",outcome="ok"}"#))
        }
    }
}
