import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import Testing

@Suite("Background probes feeding the router", .timeLimit(.minutes(5)))
struct ProbeSchedulingTests {
    static func yaml(_ ports: [Int], interval: Int = 150) -> String {
        RoutingTests.yaml(ports, breaker: "{ base_open_ms: 300, consecutive_failures: 2 }") + """

            probes:
              interval_ms: \(interval)
              open_interval_ms: 100
              ready_timeout_ms: 20000
              first_token_timeout_ms: 2000
            admin_keys:
              - { id: ops, key: admin-secret }
            """
    }

    static func admin(_ harness: RouterHarness) async throws -> [[String: Any]] {
        let response = try await harness.send("/admin/routes", method: .GET, headers: [("authorization", "Bearer admin-secret")])
        let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        return ((object?["models"] as? [[String: Any]])?.first?["deployments"] as? [[String: Any]]) ?? []
    }

    /// Asks until `condition` holds, at most `limit` times: each answer is an event of the running router.
    static func eventually(_ limit: Int = 400, _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<limit {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    @Test("with no client traffic at all, probes rank every deployment and readiness waits for them")
    func probesRankWithoutTraffic() async throws {
        try await RouterHarness.run(sims: RoutingTests.threeSims(), yaml: { Self.yaml($0) }) { harness in
            #expect(try await Self.eventually { try await harness.send("/readyz", method: .GET, headers: []).status == 200 })
            // A few probes each, so one sample slowed by a busy machine does not decide the ranking.
            #expect(try await Self.eventually {
                try await Self.admin(harness).allSatisfy { (($0["samples"] as? [String: Any])?["probe"] as? Int ?? 0) >= 4 }
            })
            let ranked = try await Self.admin(harness)
            #expect(ranked.map { $0["provider"] as? String } == ["p2", "p1", "p0"])
            for entry in ranked {
                #expect(((entry["samples"] as? [String: Any])?["probe"] as? Int ?? 0) >= 1)
                #expect(((entry["samples"] as? [String: Any])?["live"] as? Int) == 0)
                let probe = try #require(entry["last_probe"] as? [String: Any])
                #expect(probe["status"] as? Int == 200)
                #expect(probe["first_token_ms"] is Double)
            }
            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(metrics.contains(#"edge_probe_phase_seconds_count{model="m",provider="p2",phase="first_token"}"#))
            // The first request already goes to the fastest provider.
            #expect(try await harness.chat(model: "m", stream: false).headers.first(name: "x-edge-provider") == "p2")
        }
    }

    @Test("a failing provider is ejected and closed again by probes, with no client request sent to it")
    func probesAreTrialCalls() async throws {
        var failing = RoutingTests.sim(ttft: 30)
        failing.errorRate = 1
        try await RouterHarness.run(sims: [failing, RoutingTests.sim(ttft: 60)], yaml: { Self.yaml($0) }) { harness in
            func breaker() async throws -> String? {
                try await Self.admin(harness).first { $0["provider"] as? String == "p0" }?["breaker"] as? String
            }
            #expect(try await Self.eventually { try await breaker() == "open" })
            // Client traffic while p0 still fails, for about a second: its breaker goes from open to half-open and
            // back several times meanwhile (300 ms open, a probe every 100 ms), and no client request is its trial
            // call. A request sent to p0 would fail there and fail over: two attempts.
            var answers: [(provider: String?, attempts: String?)] = []
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(1) || answers.count < 10 {
                let response = try await harness.chat(model: "m", stream: false)
                #expect(response.status == 200)
                answers.append((response.headers.first(name: "x-edge-provider"), response.headers.first(name: "x-edge-attempts")))
            }
            #expect(answers.allSatisfy { $0.provider == "p1" && $0.attempts == "1" }, "\(answers)")
            #expect(harness.sims[0].stats.received > 0)

            // Healed: a probe, not a client request (none is sent), closes the breaker.
            try await harness.sims[0].configure { $0.errorRate = 0 }
            #expect(try await Self.eventually { try await breaker() == "closed" })
        }
    }

    @Test("probes of a deployment busy with live traffic are skipped")
    func adaptiveSkipping() async throws {
        try await RouterHarness.run(sims: [RoutingTests.sim(ttft: 20)], yaml: { Self.yaml($0, interval: 400) }) { harness in
            for _ in 0..<40 { _ = try await harness.chat(model: "m", stream: false) }
            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(RoutingTests.counter(metrics, #"edge_probes_total{model="m",provider="p0",outcome="skipped"}"#) >= 1)
        }
    }

    @Test("a running request counts as in flight at its deployment from its first attempt to the end of its stream")
    func inFlight() async throws {
        var slow = RoutingTests.sim(ttft: 10)
        slow.tokensPerSecond = 10
        slow.answerTokens = 20
        try await RouterHarness.run(sims: [slow], yaml: { RoutingTests.yaml($0) + "\nadmin_keys:\n  - { id: ops, key: admin-secret }" }) { harness in
            var request = HTTPClientRequest(url: harness.base + "/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "authorization", value: "Bearer \(RouterHarness.clientKey)")
            request.body = .bytes(.init(string: RouterHarness.chatBody(model: "m", stream: true)))
            let response = try await harness.client.execute(request, timeout: .seconds(30))
            #expect(try await Self.admin(harness).first?["in_flight"] as? Int == 1)
            _ = try await response.body.collect(upTo: 1 << 20)
            #expect(try await Self.eventually { try await Self.admin(harness).first?["in_flight"] as? Int == 0 })
        }
    }
}
