import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

/// Who is blamed for what: a client's own deadline is nobody's failure, a race's loser is no success, a winner is
/// never thrown away for a loser's error, and a deployment that rejects what others serve is ejected.
@Suite("Failover accounting: what counts against a provider")
struct FailoverAccountingTests {
    static let adminKey = "accounting-admin"
    static let ordered = [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-route", #"{"order":["p0","p1"]}"#)]

    static func yaml(_ ports: [Int], routing: String = "", hedge: String? = nil) -> String {
        var yaml = testYAML(ports: ports, firstTokenMs: 3000) + "\nadmin_keys:\n  - { id: ops, key: \(adminKey) }\n"
        if !routing.isEmpty { yaml += "routing:\n\(routing)\n" }
        if let hedge { yaml = yaml.replacingOccurrences(of: "  - name: m\n", with: "  - name: m\n    hedge: \(hedge)\n") }
        return yaml
    }

    /// `/admin/routes`'s entry for `provider` (ranked or not).
    static func route(_ harness: RouterHarness, _ provider: String) async throws -> [String: Any] {
        let response = try await harness.send("/admin/routes", method: .GET, headers: [("authorization", "Bearer \(adminKey)")])
        let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        let deployments = try #require((object["models"] as? [[String: Any]])?.first?["deployments"] as? [[String: Any]])
        return try #require(deployments.first { $0["provider"] as? String == provider }, "\(response.body)")
    }

    @Test("12 requests whose own deadline (x-edge-timeout-ms: 50) passes get 504 timeout; no breaker opens; the next request is served normally")
    func clientDeadlineIsNobodysFailure() async throws {
        try await RouterHarness.run(
            sims: [RoutingTests.sim(ttft: 400), RoutingTests.sim(ttft: 400)], yaml: { Self.yaml($0) }
        ) { harness in
            for _ in 0..<12 {
                let response = try await harness.send(
                    "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                    headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-timeout-ms", "50")])
                #expect(response.status == 504)
                let error = try #require(
                    (JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])?["error"] as? [String: Any])
                #expect(error["type"] as? String == "timeout")
                #expect(error["code"] as? String == "deadline_exceeded")
            }
            for provider in ["p0", "p1"] {
                #expect(try await Self.route(harness, provider)["breaker"] as? String == "closed")
            }
            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(!metrics.contains(#"cause="firstTokenTimeout"} 1"#), "a client's deadline counted as a provider's timeout")
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-route-reason") != "panic")
        }
    }

    @Test("the hedge's 400 does not throw away the primary's answer: the client gets the primary's 200")
    func loserRejectionKeepsWinner() async throws {
        var rejecting = ChatStreamingTests.fastSim()
        rejecting.errorRate = 1
        rejecting.errorStatus = 400
        try await RouterHarness.run(
            sims: [RoutingTests.sim(ttft: 300), rejecting], yaml: { Self.yaml($0, hedge: "50") }
        ) { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 200, "\(response.body)")
            #expect(response.headers.first(name: "x-edge-provider") == "p0")
            #expect(harness.sims[1].stats.received == 1, "the hedge went out")
        }
    }

    @Test("a primary that loses to its hedge is no breaker success: 2 failures, a lost race, 1 failure open a 3-failure breaker")
    func lostRaceIsNoSuccess() async throws {
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()],
            yaml: {
                Self.yaml($0, routing: "  hedge_budget: 1\n  breaker: { consecutive_failures: 3, base_open_ms: 60000 }", hedge: "50")
            }
        ) { harness in
            func ordered() async throws -> (status: Int, reason: String?) {
                let response = try await harness.send(
                    "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false), headers: Self.ordered)
                return (response.status, response.headers.first(name: "x-edge-route-reason"))
            }
            try await harness.sims[0].configure { $0.errorRate = 1 }
            for _ in 0..<2 { #expect(try await ordered().status == 200) }
            try await harness.sims[0].configure {
                $0.errorRate = 0
                $0.hang = true
            }
            let hedged = try await ordered()
            #expect(hedged.status == 200)
            #expect(hedged.reason == "hedge")
            try await harness.sims[0].configure {
                $0.hang = false
                $0.errorRate = 1
            }
            #expect(try await ordered().status == 200)
            #expect(try await Self.route(harness, "p0")["breaker"] as? String == "open")
        }
    }

    @Test("a deployment that answers 400 to what another serves: clients never see its 400, and after 5 it is ejected as misconfigured")
    func misconfiguredDeploymentIsEjected() async throws {
        var rejecting = ChatStreamingTests.fastSim()
        rejecting.errorRate = 1
        rejecting.errorStatus = 400
        try await RouterHarness.run(sims: [rejecting, ChatStreamingTests.fastSim()], yaml: { Self.yaml($0) }) { harness in
            for _ in 0..<8 {
                let response = try await harness.chat(model: "m", stream: false)
                #expect(response.status == 200, "\(response.body)")
                #expect(response.headers.first(name: "x-edge-provider") == "p1")
            }
            #expect(harness.sims[0].stats.received == 5, "requests spent on the misconfigured deployment")
            let route = try await Self.route(harness, "p0")
            #expect(route["breaker"] as? String == "open")
            #expect(route["breaker_reason"] as? String == "misconfigured")
            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(RoutingTests.counter(metrics, #"edge_breaker_openings_total{model="m",provider="p0",reason="misconfigured"}"#) == 1)
        }
    }

    @Test("a request every deployment rejects: the 400 after one more attempt on another provider, nobody ejected")
    func invalidRequestEjectsNobody() async throws {
        try await RouterHarness.run(
            sims: [FailoverTests.failing(400), FailoverTests.failing(400), ChatStreamingTests.fastSim()],
            yaml: { Self.yaml($0) }
        ) { harness in
            for _ in 0..<6 {
                let response = try await harness.chat(model: "m", stream: false)
                #expect(response.status == 400)
                #expect(response.body.contains("upstream_rejected"))
            }
            #expect(harness.sims[1].stats.received == 6)
            #expect(harness.sims[2].stats.received == 0)
            for provider in ["p0", "p1", "p2"] {
                #expect(try await Self.route(harness, provider)["breaker"] as? String == "closed")
            }
        }
    }

    @Test("a half-open trial whose client's deadline passes is given back at once, not after the trial timeout")
    func trialGivenBackOnClientDeadline() async throws {
        try await RouterHarness.run(
            sims: [FailoverTests.failing(503), ChatStreamingTests.fastSim()],
            yaml: { Self.yaml($0, routing: "  breaker: { base_open_ms: 300 }") }
        ) { harness in
            func ordered(timeoutMs: Int? = nil) async throws -> Int {
                let timeout = timeoutMs.map { [("x-edge-timeout-ms", "\($0)")] } ?? []
                let response = try await harness.send(
                    "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false), headers: Self.ordered + timeout)
                return response.status
            }
            for _ in 0..<5 { #expect(try await ordered() == 200) }
            #expect(try await Self.route(harness, "p0")["breaker"] as? String == "open")
            try await harness.sims[0].configure {
                $0.errorRate = 0
                $0.ttftMilliseconds = 400
            }
            // The open time is the breaker's own timer: wait until the admin view offers the trial (bounded).
            let opened = ContinuousClock.now
            while try await Self.route(harness, "p0")["trial_next"] as? Bool != true, ContinuousClock.now - opened < .seconds(5) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await Self.route(harness, "p0")["trial_next"] as? Bool == true)
            // This request takes the trial (p0 first by the client's order), and its own deadline cuts it.
            #expect(try await ordered(timeoutMs: 50) == 504)
            #expect(try await Self.route(harness, "p0")["trial_next"] as? Bool == true, "the trial is still held")
        }
    }

    @Test("a hang is hedged at 2 x p99 (floor 250 ms), not at the 3 s timeout; the overtaken hung attempts open the breaker")
    func hangIsHedgedAndCounted() async throws {
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()],
            yaml: {
                Self.yaml(
                    $0, routing: "  hang: { hold_ms: 1 }\n  breaker: { consecutive_failures: 2, base_open_ms: 60000 }",
                    hedge: "off")
            }
        ) { harness in
            for provider in ["p0", "p1"] {
                for _ in 0..<10 { #expect(try await harness.chat(model: "\(provider)/m", stream: false).status == 200) }
            }
            try await harness.sims[0].configure { $0.hang = true }
            for _ in 0..<2 {
                let started = ContinuousClock.now
                let response = try await harness.send(
                    "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false), headers: Self.ordered)
                let elapsed = ContinuousClock.now - started
                #expect(response.status == 200)
                #expect(response.headers.first(name: "x-edge-provider") == "p1")
                #expect(response.headers.first(name: "x-edge-route-reason") == "hedge")
                // 250 ms plus p1's answer; far below the 3 s first-token timeout even on a busy machine.
                #expect(elapsed >= .milliseconds(250) && elapsed < .milliseconds(2000), "\(elapsed)")
            }
            let route = try await Self.route(harness, "p0")
            #expect(route["breaker"] as? String == "open")
            #expect(route["breaker_reason"] as? String == "consecutiveFailures")
            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(RoutingTests.counter(metrics, #"edge_hang_suspicions_total{model="m",provider="p0"}"#) >= 1)
        }
    }

    @Test("one failed attempt reads 'The attempt failed: ...', never 'All 1 attempt failed'")
    func singleAttemptMessage() async throws {
        try await RouterHarness.run(sims: [FailoverTests.failing(503)], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 502)
            #expect(response.body.contains("The attempt failed: p0/upstream-0: HTTP 503"), "\(response.body)")
            #expect(!response.body.contains("All 1"))
        }
    }
}
