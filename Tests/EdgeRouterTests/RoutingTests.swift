import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

@Suite("TTFT-aware routing, breakers and hedging", .timeLimit(.minutes(5)))
struct RoutingTests {
    static func sim(ttft: Double, distribution: SimulatorSettings.Distribution = .fixed, sigma: Double = 0.5, seed: UInt64 = 1)
        -> SimulatorSettings
    {
        var settings = ChatStreamingTests.fastSim(ttft: ttft, tokens: 2)
        settings.distribution = distribution
        settings.ttftSigma = sigma
        settings.seed = seed
        return settings
    }

    /// Three providers, the slowest listed first so that the configured order never explains a good choice.
    static func threeSims() -> [SimulatorSettings] { [sim(ttft: 300), sim(ttft: 150), sim(ttft: 80)] }

    static func yaml(_ ports: [Int], breaker: String = "{ base_open_ms: 600 }", model: String = "") -> String {
        testYAML(ports: ports, firstTokenMs: 2000, maxAttempts: 3) + """

            routing:
              breaker: \(breaker)
            """ + model
    }

    static func providers(_ harness: RouterHarness, _ count: Int) async throws -> [String] {
        var providers: [String] = []
        for _ in 0..<count {
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 200)
            providers.append(response.headers.first(name: "x-edge-provider") ?? "none")
        }
        return providers
    }

    @Test("after warm-up at least 95 % of requests go to the fastest provider; headers explain the choice")
    func fastestWins() async throws {
        // Probes keep every estimate fresh, as in production: one sample slowed by a busy machine cannot strand
        // the fastest provider.
        try await RouterHarness.run(
            sims: Self.threeSims(), yaml: { Self.yaml($0) + "\nprobes: { interval_ms: 200, ready_timeout_ms: 5000 }" }
        ) { harness in
            _ = try await Self.providers(harness, 12)
            var responses: [HTTPHeaders] = []
            for _ in 0..<40 {
                let response = try await harness.chat(model: "m", stream: false)
                #expect(response.status == 200)
                responses.append(response.headers)
            }
            let providers = responses.map { $0.first(name: "x-edge-provider") ?? "none" }
            let share = Double(providers.filter { $0 == "p2" }.count) / Double(providers.count)
            #expect(share >= 0.95, "share to the 80 ms provider: \(share), \(providers)")

            // Every answer explains its choice; the last one that went to the fastest provider says why, with its
            // estimate and the estimate's age.
            #expect(responses.allSatisfy { $0.first(name: "x-edge-route-reason") != nil })
            let best = try #require(responses.last { $0.first(name: "x-edge-provider") == "p2" })
            #expect(best.first(name: "x-edge-route-reason") == "best")
            let estimate = try #require(best.first(name: "x-edge-ttft-estimate-ms").flatMap(Int.init))
            // The chosen deployment's estimate: about 80 ms (plus the router), well under the 300 ms alternative.
            #expect(estimate >= 70 && estimate < 300, "estimate \(estimate) ms")
            #expect(best.first(name: "x-edge-estimate-age-ms").flatMap(Int.init) != nil)
        }
    }

    @Test("the best provider failing: no client error, traffic moves within 5 requests, and returns after recovery")
    func failureAndRecovery() async throws {
        try await RouterHarness.run(sims: Self.threeSims(), yaml: { Self.yaml($0, breaker: "{ base_open_ms: 2000 }") }) { harness in
            _ = try await Self.providers(harness, 12)
            // Every provider measured, so that the failover target is known to be the next fastest rather than found
            // by exploring.
            for provider in ["p0", "p1"] {
                for _ in 0..<3 { #expect(try await harness.chat(model: "\(provider)/m", stream: false).status == 200) }
            }
            try await harness.sims[2].configure { $0.errorRate = 1 }
            // Every answer still succeeds (failover is invisible); the breaker opens after 5 consecutive failures.
            let during = try await Self.providers(harness, 8)
            #expect(!during.contains("p2"))
            #expect(harness.sims[2].stats.failed <= 5, "requests spent on the failing provider: \(harness.sims[2].stats.failed)")
            #expect(during.suffix(3).allSatisfy { $0 == "p1" }, "\(during)")

            // It recovers: after the breaker's open time, one trial request closes it and traffic returns.
            try await harness.sims[2].configure { $0.errorRate = 0 }
            let healed = ContinuousClock.now
            var back = false
            var seen: [String] = []
            while !back, ContinuousClock.now - healed < .seconds(5) {
                let provider = try await Self.providers(harness, 1)
                seen += provider
                back = provider == ["p2"]
            }
            #expect(back, "providers since the recovery: \(seen)")
            #expect(ContinuousClock.now - healed < .milliseconds(2000 + 1000))
        }
    }

    @Test("a provider that turns slow loses its traffic within 10 seconds, with no errors")
    func slowdown() async throws {
        try await RouterHarness.run(sims: Self.threeSims(), yaml: { Self.yaml($0) }) { harness in
            _ = try await Self.providers(harness, 12)
            try await harness.sims[2].configure { $0.ttftMilliseconds = 500 }
            let slowed = ContinuousClock.now
            var moved = false
            while !moved, ContinuousClock.now - slowed < .seconds(10) {
                moved = try await Self.providers(harness, 3) == ["p1", "p1", "p1"]
            }
            #expect(moved)
            #expect(ContinuousClock.now - slowed < .seconds(10))
        }
    }

    @Test("x-edge-route: only, ignore, order and allow_fallbacks; bad JSON is a 400 naming the field")
    func routeControl() async throws {
        try await RouterHarness.run(sims: Self.threeSims(), yaml: { Self.yaml($0) }) { harness in
            func send(_ control: String) async throws -> (Int, String?, String) {
                let response = try await harness.send(
                    "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                    headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-route", control)])
                return (response.status, response.headers.first(name: "x-edge-provider"), response.body)
            }
            #expect(try await send(#"{"only":["p0"]}"#).1 == "p0")
            #expect(try await send(#"{"order":["p1"]}"#).1 == "p1")
            #expect(try await send(#"{"ignore":["p0","p2"]}"#).1 == "p1")
            try await harness.sims[0].configure { $0.errorRate = 1 }
            let noFallback = try await send(#"{"only":["p0"],"allow_fallbacks":false}"#)
            #expect(noFallback.0 == 502)
            let bad = try await send(#"{"prefer":["p1"]}"#)
            #expect(bad.0 == 400)
            #expect(bad.2.contains("prefer"))
            #expect(bad.2.contains(#""param":"x-edge-route""#))
            #expect(try await send("{not json").0 == 400)
        }
    }

    @Test("hedging a heavy-tailed provider cuts the client's tail with few extra requests")
    func hedging() async throws {
        // The heavy provider's TTFTs come from its seeded generator: the same 40 draws twice (median 60 ms; for seed 7
        // two of them over 1.3 s), first with nothing to hedge to, then with a steady 120 ms provider behind it.
        var heavy = Self.sim(ttft: 60, distribution: .lognormal, sigma: 1.5, seed: 7)
        heavy.answerTokens = 1
        var steady = Self.sim(ttft: 120, distribution: .normal, seed: 8)
        steady.ttftSpreadMilliseconds = 5
        let requests = 40
        try await RouterHarness.run(
            sims: [heavy, steady],
            yaml: { ports in
                Self.yaml(ports, breaker: "{ slow_call_multiplier: 1000 }")
                    .replacingOccurrences(of: "  - name: m\n", with: "  - name: m\n    hedge: 150\n")
                    .replacingOccurrences(of: "routing:\n", with: "routing:\n  hedge_budget: 0.2\n")
            }
        ) { harness in
            func latencies(_ control: String) async throws -> [Duration] {
                var latencies: [Duration] = []
                for _ in 0..<requests {
                    let started = ContinuousClock.now
                    let response = try await harness.send(
                        "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                        headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-route", control)])
                    #expect(response.status == 200)
                    latencies.append(ContinuousClock.now - started)
                }
                return latencies
            }
            let alone = try await latencies(#"{"only":["p0"]}"#)
            // A changed seed restarts the generator: back to 7 replays the same draws.
            try await harness.sims[0].configure { $0.seed = 0 }
            try await harness.sims[0].configure { $0.seed = 7 }
            let hedged = try await latencies(#"{"order":["p0","p1"]}"#)

            // The tail without hedging, request by request with hedging: each of those slow draws now ends at about
            // the hedge delay plus the backup's TTFT (150 + 120 ms), far sooner.
            let tail = zip(alone, hedged).filter { $0.0 > .seconds(1) }
            #expect(tail.count >= 2, "alone: \(alone)")
            #expect(tail.allSatisfy { $0.1 < $0.0 / 2 }, "\(tail)")
            #expect(try #require(hedged.max()) < .seconds(1), "hedged: \(hedged)")

            // Few extra requests: the backup saw only hedges, within the budget (20 % of the requests plus the burst).
            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            let started = Self.counter(metrics, #"edge_hedges_total{model="m",outcome="started"}"#)
            #expect(started > 0, "no hedge started")
            #expect(started <= 0.2 * Double(2 * requests) + 10)
            #expect(Double(harness.sims[1].stats.received) == started)
        }
    }

    @Test("x-edge-timeout-ms shortens the request's deadline until its first token; past it the answer is 504")
    func requestTimeoutHeader() async throws {
        var hanging = Self.sim(ttft: 10)
        hanging.hang = true
        try await RouterHarness.run(sims: [hanging], yaml: { Self.yaml($0) }) { harness in
            let started = ContinuousClock.now
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: true),
                headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-timeout-ms", "300")])
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 504)
            #expect(response.body.contains("within the request's deadline"))
            // The configured first-token timeout is 2 s; the header's 300 ms won.
            #expect(elapsed >= .milliseconds(300) && elapsed < .milliseconds(1500), "\(elapsed)")
        }
    }

    static func counter(_ metrics: String, _ series: String) -> Double {
        metrics.split(separator: "\n").first { $0.hasPrefix(series) }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("GET /admin/routes ranks deployments with their estimates and breaker states, for admin keys only")
    func adminRoutes() async throws {
        try await RouterHarness.run(
            sims: Self.threeSims(),
            yaml: { Self.yaml($0) + "\nadmin_keys:\n  - { id: ops, key: admin-secret }" }
        ) { harness in
            _ = try await Self.providers(harness, 12)
            #expect(try await harness.send("/admin/routes", method: .GET).status == 401)
            let response = try await harness.send("/admin/routes", method: .GET, headers: [("authorization", "Bearer admin-secret")])
            #expect(response.status == 200)
            let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            let model = try #require((object["models"] as? [[String: Any]])?.first)
            let deployments = try #require(model["deployments"] as? [[String: Any]])
            #expect(deployments.first?["provider"] as? String == "p2")
            #expect(deployments.first?["breaker"] as? String == "closed")
            let ttft = try #require(deployments.first?["ttft_ms"] as? [String: Any])
            #expect(((ttft["p50"] as? Double) ?? 0) > 70)
            #expect(((deployments.first?["samples"] as? [String: Any])?["live"] as? Int ?? 0) > 0)
        }
    }
}

extension ProviderSimulator {
    /// Changes the behaviour as `POST /_sim/config` would, for tests in the same process.
    func configure(_ change: (inout SimulatorSettings) -> Void) async throws {
        update(change)
    }
}
