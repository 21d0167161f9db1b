import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

/// `/admin/routes` lists every deployment, the ejected ones too (the ones an SRE most needs to see), ranking only
/// those a request could use now.
@Suite("/admin/routes lists ejected deployments", .timeLimit(.minutes(2)))
struct AdminRoutesTests {
    static let adminKey = "routes-admin"
    /// The client's order puts p0 first, so each request tries the failing deployment before the healthy one.
    static let ordered = [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-route", #"{"order":["p0","p1"]}"#)]

    static func yaml(_ ports: [Int]) -> String {
        testYAML(ports: ports, firstTokenMs: 3000)
            + "\nadmin_keys:\n  - { id: ops, key: \(adminKey) }\nrouting:\n  breaker: { consecutive_failures: 2, base_open_ms: 60000 }\n"
    }

    /// The one model's deployments as `/admin/routes` lists them, in its order.
    static func deployments(_ harness: RouterHarness) async throws -> [[String: Any]] {
        let response = try await harness.send("/admin/routes", method: .GET, headers: [("authorization", "Bearer \(adminKey)")])
        #expect(response.status == 200)
        let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        return try #require((object["models"] as? [[String: Any]])?.first?["deployments"] as? [[String: Any]], "\(response.body)")
    }

    /// Sends requests in the client's order until p0 has failed twice (its breaker's threshold); each is served by p1.
    static func ejectP0(_ harness: RouterHarness) async throws {
        for _ in 0..<2 {
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false), headers: Self.ordered)
            #expect(response.status == 200, "\(response.body)")
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
        }
    }

    @Test("a deployment whose 503s opened its breaker is listed after the ranked one with rank null, state open, reason consecutiveFailures, retry_in_ms within the 60 s open time and its last failure")
    func openBreakerIsListed() async throws {
        try await RouterHarness.run(
            sims: [FailoverTests.failing(503), ChatStreamingTests.fastSim()], yaml: { Self.yaml($0) }
        ) { harness in
            try await Self.ejectP0(harness)
            let deployments = try await Self.deployments(harness)
            #expect(deployments.map { $0["provider"] as? String } == ["p1", "p0"])
            #expect(deployments.first?["rank"] as? Int == 1)
            #expect(deployments.first?["breaker"] as? String == "closed")

            let ejected = try #require(deployments.last)
            #expect(ejected["rank"] is NSNull)
            #expect(ejected["breaker"] as? String == "open")
            #expect(ejected["breaker_reason"] as? String == "consecutiveFailures")
            #expect(ejected["breaker_openings"] as? Int == 1)
            let retryIn = try #require(ejected["retry_in_ms"] as? Int)
            #expect(retryIn > 0 && retryIn <= 60_000, "\(retryIn)")
            let lastFailure = try #require(ejected["last_failure"] as? String)
            #expect(lastFailure.contains("503"), "\(lastFailure)")
        }
    }

    @Test("a deployment that answered 429 with Retry-After: 30 is listed with rank null, state rate_limited, reason rateLimited and retry_in_ms within 30 s")
    func rateLimitedIsListed() async throws {
        var limited = FailoverTests.failing(429)
        limited.retryAfterSeconds = 30
        try await RouterHarness.run(sims: [limited, ChatStreamingTests.fastSim()], yaml: { Self.yaml($0) }) { harness in
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false), headers: Self.ordered)
            #expect(response.status == 200, "\(response.body)")
            let deployments = try await Self.deployments(harness)
            #expect(deployments.map { $0["provider"] as? String } == ["p1", "p0"])
            let limitedEntry = try #require(deployments.last)
            #expect(limitedEntry["rank"] is NSNull)
            #expect(limitedEntry["breaker"] as? String == "rate_limited")
            #expect(limitedEntry["breaker_reason"] as? String == "rateLimited")
            let retryIn = try #require(limitedEntry["retry_in_ms"] as? Int)
            #expect(retryIn > 0 && retryIn <= 30_000, "\(retryIn)")
            #expect((limitedEntry["last_failure"] as? String)?.contains("429") == true, "\(limitedEntry)")
        }
    }
}
