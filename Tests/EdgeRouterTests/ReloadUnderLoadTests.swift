import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import Synchronization
import Testing

/// Issue #17's test: configuration reloads under load drop nothing.
@Suite("Reload under load", .timeLimit(.minutes(3)))
struct ReloadUnderLoadTests {
    /// `m` on p0 and p1 (file A) or on p1 and p2 (file B), with different prices and hedging, so that every reload
    /// removes one deployment, adds one and keeps one.
    static func file(_ ports: [Int], variant: Int) -> String {
        let deployments =
            variant == 0
            ? "[{ provider: p0, model: up-0, price: { input_per_mtok: 1, output_per_mtok: 2 } }, { provider: p1, model: up-1 }]"
            : "[{ provider: p1, model: up-1, price: { input_per_mtok: 3, output_per_mtok: 4 } }, { provider: p2, model: up-2 }]"
        return ConfigurationReloadTests.yaml(
            ports: ports, models: "  - { name: m, hedge: \(variant == 0 ? "off" : "auto"), deployments: \(deployments) }",
            keys: "  - { id: client, key: \(RouterHarness.clientKey) }")
    }

    /// Simulators whose streams last a few hundred milliseconds, so that many are in flight across each reload.
    static func slowStreams() -> SimulatorSettings {
        var settings = SimulatorSettings()
        settings.ttftMilliseconds = 30
        settings.tokensPerSecond = 100
        settings.answerTokens = 20
        return settings
    }

    @Test("with 4 streaming and 4 non-streaming clients sending without pause, 20 reloads alternating two files all apply; every request answers 200, every stream ends with [DONE] and its whole text, and the router counts no failed, interrupted or rejected request")
    func twentyReloadsDropNothing() async throws {
        let file = ConfigurationReloadTests.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let sims = [Self.slowStreams(), Self.slowStreams(), Self.slowStreams()]
        try await RouterHarness.run(sims: sims, configurationFile: file, yaml: { Self.file($0, variant: 0) }) { harness in
            let expectedText = try #require(streamedText(try await harness.chat(model: "m", stream: true).body).nilIfEmpty)
            let (finished, finishedContinuation) = AsyncStream.makeStream(of: Void.self)
            let tally = LoadTally()

            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    let streaming = worker % 2 == 0
                    group.addTask {
                        while !tally.stop.load(ordering: .relaxed) {
                            let response = try await harness.chat(model: "m", stream: streaming)
                            var failure: String?
                            if response.status != 200 {
                                failure = "status \(response.status): \(response.body)"
                            } else if streaming {
                                if !response.body.hasSuffix("data: [DONE]\n\n") || streamedText(response.body) != expectedText {
                                    failure = "incomplete stream: \(response.body)"
                                }
                            } else if !response.body.contains(#""finish_reason":"stop""#) {
                                failure = "incomplete answer: \(response.body)"
                            }
                            if let failure { tally.failures.withLock { $0.append(failure) } }
                            tally.completed.add(1, ordering: .relaxed)
                            finishedContinuation.yield()
                        }
                        return 0
                    }
                }
                group.addTask {
                    defer { tally.stop.store(true, ordering: .relaxed) }
                    var applied = 0
                    var iterator = finished.makeAsyncIterator()
                    for reload in 1...20 {
                        // A few requests end between reloads, so that each reload lands among requests in flight.
                        for _ in 0..<4 { _ = await iterator.next() }
                        try Self.file(harness.simPorts, variant: reload % 2).write(to: file, atomically: true, encoding: .utf8)
                        let response = try await harness.send(
                            "/admin/reload", method: .POST, headers: ConfigurationReloadTests.admin)
                        if response.status == 200 { applied += 1 } else { tally.failures.withLock { $0.append("reload: \(response.body)") } }
                    }
                    return applied
                }
                return try await group.reduce(0, +)
            }

            #expect(applied == 20)
            let failed = tally.failures.withLock { $0 }
            #expect(failed.isEmpty, "\(failed.count) failed: \(failed.prefix(3))")
            #expect(tally.completed.load(ordering: .relaxed) >= 80)
            let scrape = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(scrape.contains(#"edge_config_reloads_total{outcome="applied"} 20"#))
            // The router's own count agrees: no request failed, broke off or was cut, on any deployment old or new.
            let bad = scrape.split(separator: "\n").filter { line in
                line.hasPrefix("edge_requests_total{")
                    && [#"outcome="failed""#, #"outcome="interrupted""#, #"outcome="rejected""#].contains { line.contains($0) }
                    && !line.hasSuffix(" 0")
            }
            #expect(bad.isEmpty, "\(bad)")
        }
    }
}

/// What the clients and the reloader of the load test share.
private final class LoadTally: Sendable {
    let stop = Atomic<Bool>(false)
    let failures = Mutex<[String]>([])
    let completed = Atomic<Int>(0)
}

extension String {
    /// Nil for an empty string.
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
