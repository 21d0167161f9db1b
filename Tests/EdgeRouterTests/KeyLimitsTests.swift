import Foundation
import HTTPTypes
import NIOHTTP1
import ProviderSim
import RequestLog
import Testing

@testable import EdgeRouter

/// Rate limits and budgets per key, as ``KeyLimits`` keeps them (explicit clocks), then through the router.
@Suite("Limits per key: token buckets and budgets")
struct KeyLimitsTests {
    static let day: Int64 = 86_400_000
    static let noon: Int64 = 1_764_849_600_000  // 2025-12-04T12:00:00Z

    @Test("requests_per_minute admits a minute's burst, then refuses with Retry-After until the bucket refills at its rate")
    func requestBucket() throws {
        let limits = KeyLimits()
        let key = GatewayKey(id: "k", rateLimit: .init(requestsPerMinute: 3))
        let start = ContinuousClock.now
        for remaining in [2, 1, 0] {
            let headers = try limits.admit(key, now: start, wallMs: Self.noon)
            #expect(headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == String(remaining))
            #expect(headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "3")
        }
        #expect {
            _ = try limits.admit(key, now: start, wallMs: Self.noon)
        } throws: { error in
            guard let error = error as? EdgeRouterError else { return false }
            return error.code == .rateLimited && error.status == 429 && error.headers[.retryAfter] == "20"
        }
        // One request refills every 20 s.
        _ = try limits.admit(key, now: start + .seconds(20), wallMs: Self.noon)
        #expect(throws: EdgeRouterError.self) { try limits.admit(key, now: start + .seconds(21), wallMs: Self.noon) }
    }

    @Test("tokens_per_minute is charged at the end; an overdrawn bucket refuses until it is back above zero")
    func tokenBucket() throws {
        let limits = KeyLimits()
        let key = GatewayKey(id: "k", rateLimit: .init(tokensPerMinute: 600))
        let start = ContinuousClock.now
        _ = try limits.admit(key, now: start, wallMs: Self.noon)
        limits.charge(key, costUSD: 0, tokens: 900, now: start, wallMs: Self.noon)
        #expect {
            _ = try limits.admit(key, now: start + .seconds(1), wallMs: Self.noon)
        } throws: { error in
            (error as? EdgeRouterError)?.headers[.retryAfter] == "30"  // 291 tokens short at 10 a second
        }
        _ = try limits.admit(key, now: start + .seconds(31), wallMs: Self.noon)
        // A provider's absurd count cannot make the wait overflow.
        limits.charge(key, costUSD: 0, tokens: .max, now: start + .seconds(31), wallMs: Self.noon)
        #expect(throws: EdgeRouterError.self) { try limits.admit(key, now: start + .seconds(32), wallMs: Self.noon) }
    }

    @Test("a spent daily budget refuses until the next UTC midnight, says so in Retry-After, and asks SDKs not to retry")
    func dailyBudget() throws {
        let limits = KeyLimits()
        let key = GatewayKey(id: "k", budget: .init(usdPerDay: 0.01))
        let headers = try limits.admit(key, wallMs: Self.noon)
        #expect(headers[.edgeBudgetRemaining] == "0.010000")
        limits.charge(key, costUSD: 0.011, tokens: 0, wallMs: Self.noon)
        #expect {
            _ = try limits.admit(key, wallMs: Self.noon + 1000)
        } throws: { error in
            guard let error = error as? EdgeRouterError else { return false }
            return error.code == .budgetExceeded && error.headers[.retryAfter] == "43199"
                && error.headers[.shouldRetry] == "false" && error.headers[.edgeBudgetRemaining] == "0.000000"
        }
        // The next day starts from zero.
        _ = try limits.admit(key, wallMs: Self.noon + Self.day / 2)
    }

    @Test("a monthly budget counts across days, renews on the first of the next UTC month, and spend read from the log counts")
    func monthlyBudget() throws {
        let limits = KeyLimits()
        let key = GatewayKey(id: "k", budget: .init(usdPerMonth: 1))
        limits.seed(today: [:], thisMonth: ["k": 1.5], keys: [key], wallMs: Self.noon)
        #expect {
            _ = try limits.admit(key, wallMs: Self.noon + Self.day)
        } throws: { error in
            // From 2025-12-05T12:00Z to 2026-01-01T00:00Z.
            (error as? EdgeRouterError)?.headers[.retryAfter] == String((27 * Self.day - Self.day / 2) / 1000)
        }
        let january = Self.noon + 28 * Self.day
        _ = try limits.admit(key, wallMs: january)
    }

    @Test("a fleet refresh replaces the totals with PostgreSQL's plus this node's charges since the refresh began, never lowers them, and ignores a read from a past day")
    func fleetRefresh() throws {
        let limits = KeyLimits()
        let key = GatewayKey(id: "k", budget: .init(usdPerDay: 1, usdPerMonth: 10))
        limits.charge(key, costUSD: 0.2, tokens: 0, wallMs: Self.noon)
        limits.beginRefresh()
        limits.charge(key, costUSD: 0.05, tokens: 0, wallMs: Self.noon)  // after the mark: not in the read
        // The fleet (this node's 0.2 and others' 0.5) as PostgreSQL holds it.
        limits.refresh(today: ["k": 0.7], thisMonth: ["k": 3], keys: [key], readAtMs: Self.noon, wallMs: Self.noon)
        let refreshed = try #require(limits.spent("k"))
        #expect(abs(refreshed.today - 0.75) < 1e-12 && abs(refreshed.thisMonth - 3.05) < 1e-12)
        // A read behind this node's own count (its rows still queued or spooled) does not lower it.
        limits.beginRefresh()
        limits.refresh(today: ["k": 0.1], thisMonth: ["k": 0.1], keys: [key], readAtMs: Self.noon, wallMs: Self.noon)
        #expect(abs((limits.spent("k")?.today ?? 0) - 0.75) < 1e-12)
        // A read made yesterday does not count today.
        limits.beginRefresh()
        limits.refresh(today: ["k": 5], thisMonth: ["k": 5], keys: [key], readAtMs: Self.noon - Self.day, wallMs: Self.noon)
        #expect(abs((limits.spent("k")?.today ?? 0) - 0.75) < 1e-12)
        // Over the budget as the fleet counts it: refused.
        limits.beginRefresh()
        limits.refresh(today: ["k": 1.2], thisMonth: ["k": 4], keys: [key], readAtMs: Self.noon, wallMs: Self.noon)
        #expect(throws: EdgeRouterError.self) { try limits.admit(key, wallMs: Self.noon) }
    }

    @Test("a key without limits is admitted with no headers and no state")
    func unlimited() throws {
        let headers = try KeyLimits().admit(GatewayKey(id: "free"), wallMs: Self.noon)
        #expect(headers.isEmpty)
    }
}

/// Limits and the spend endpoints through the router.
@Suite("Limits per key and spend, through the router", .serialized, .timeLimit(.minutes(3)))
struct SpendEndpointTests {
    static let keys = """
          - id: capped
            key: capped-key-1
            budget: { usd_per_day: 0.000001 }
          - id: limited
            key: limited-key-1
            rate_limit: { requests_per_minute: 2 }
        """

    @Test("once a key's budget is spent, each dialect gets a 429 in its own shape with Retry-After, before any upstream call", arguments: DialectClient.allCases)
    func budgetRefusal(_ client: DialectClient) async throws {
        let log = try RequestRecordTests.logPath()
        try await RouterHarness.run(sims: [SimulatorSettings()], yaml: { RequestRecordTests.yaml(ports: $0, log: log, keys: Self.keys) }) { harness in
            let request = client.request(model: "m", stream: false, key: "capped-key-1")
            let first = try await harness.send(request.path, body: request.body, headers: request.headers)
            #expect(first.status == 200)
            #expect(first.headers.first(name: "x-edge-budget-remaining-usd") == "0.000001")
            let second = try await harness.send(request.path, body: request.body, headers: request.headers)
            #expect(second.status == 429)
            #expect(Int(second.headers.first(name: "retry-after") ?? "") ?? 0 > 0)
            #expect(second.headers.first(name: "x-should-retry") == "false")
            let error = try #require(client.error(second.body))
            #expect(error.type == ["openai": "insufficient_quota", "anthropic": "rate_limit_error", "gemini": "RESOURCE_EXHAUSTED"][client.rawValue])
            #expect(error.message.contains("budget"))
            #expect(harness.sims[0].stats.received == 1)
        }
    }

    @Test("requests_per_minute: the third request in a minute is a 429 with Retry-After; the first two carry x-ratelimit headers")
    func rateLimitThroughRouter() async throws {
        let log = try RequestRecordTests.logPath()
        try await RouterHarness.run(sims: [SimulatorSettings()], yaml: { RequestRecordTests.yaml(ports: $0, log: log, keys: Self.keys) }) { harness in
            let headers = [("authorization", "Bearer limited-key-1")]
            let body = RouterHarness.chatBody(model: "m", stream: true)
            let first = try await harness.send("/v1/chat/completions", body: body, headers: headers)
            #expect(first.headers.first(name: "x-ratelimit-remaining-requests") == "1")
            let second = try await harness.send("/v1/chat/completions", body: body, headers: headers)
            #expect(second.status == 200 && second.headers.first(name: "x-ratelimit-remaining-requests") == "0")
            let third = try await harness.send("/v1/chat/completions", body: body, headers: headers)
            #expect(third.status == 429)
            #expect(third.headers.first(name: "retry-after") == "30")
            let error = try openAIError(third.body)
            #expect(error["code"] as? String == "rate_limit_exceeded")
            #expect(harness.sims[0].stats.received == 2)
        }
    }

    @Test("/admin/spend groups the recorded requests by metadata and model and /admin/requests filters them; bad parameters are 400s, client keys 401")
    func spendEndpoints() async throws {
        let log = try RequestRecordTests.logPath()
        try await RouterHarness.run(sims: [SimulatorSettings()], yaml: { RequestRecordTests.yaml(ports: $0, log: log) }) { harness in
            for customer in ["acme", "acme", "globex"] {
                let response = try await harness.send(
                    "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                    headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-metadata", #"{"customer":"\#(customer)"}"#)])
                #expect(response.status == 200)
            }
            let admin = [("authorization", "Bearer admin-secret")]
            // The writer commits within its 10 ms batch window; the answer may come before it.
            @Sendable func groups(_ body: String) -> [[String: Any]] {
                (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["groups"] as? [[String: Any]] ?? []
            }
            let body = try await bounded(.seconds(10), "three records in the log") {
                while true {
                    let spend = try await harness.send("/admin/spend?group_by=metadata.customer,model", method: .GET, headers: admin)
                    if groups(spend.body).reduce(0, { $0 + ($1["requests"] as? Int ?? 0) }) == 3 { return spend.body }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let acme = try #require(groups(body).first { $0["metadata.customer"] as? String == "acme" })
            #expect(acme["requests"] as? Int == 2 && acme["model"] as? String == "m")
            #expect((acme["cost_usd"] as? Double ?? 0) > 0 && (acme["output_tokens"] as? Int ?? 0) > 0)
            let listed = try await harness.send("/admin/requests?metadata.customer=globex&status=ok", method: .GET, headers: admin)
            let requests = (try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any])?["requests"] as? [[String: Any]]
            #expect(requests?.count == 1)
            #expect((requests?.first?["metadata"] as? [String: Any])?["customer"] as? String == "globex")
            #expect((requests?.first?["metadata"] as? [String: Any])?["team"] as? String == "search")
            let bad = try await harness.send("/admin/spend?group_by=price", method: .GET, headers: admin)
            #expect(bad.status == 400 && bad.body.contains("group_by"))
            let badTime = try await harness.send("/admin/requests?from=yesterday", method: .GET, headers: admin)
            #expect(badTime.status == 400)
            let client = try await harness.send("/admin/spend", method: .GET)
            #expect(client.status == 401)
        }
    }

    @Test("a router without log.path answers /admin/spend with a 404 that says how to turn the log on")
    func noLog() async throws {
        try await RouterHarness.run(
            sims: [SimulatorSettings()], yaml: { testYAML(ports: $0) + "\nadmin_keys:\n  - { id: admin, key: admin-secret }\n" }
        ) { harness in
            let response = try await harness.send("/admin/spend", method: .GET, headers: [("authorization", "Bearer admin-secret")])
            #expect(response.status == 404 && response.body.contains("log.path"))
        }
    }

    @Test("a budget spent before a restart still holds after it: spend is read back from the log")
    func budgetSurvivesRestart() async throws {
        let log = try RequestRecordTests.logPath()
        let yaml: @Sendable ([Int]) -> String = { RequestRecordTests.yaml(ports: $0, log: log, keys: Self.keys) }
        let request = DialectClient.openai.request(model: "m", stream: false, key: "capped-key-1")
        try await RouterHarness.run(sims: [SimulatorSettings()], yaml: yaml) { harness in
            let response = try await harness.send(request.path, body: request.body, headers: request.headers)
            #expect(response.status == 200)
        }
        try await RouterHarness.run(sims: [SimulatorSettings()], yaml: yaml) { harness in
            let response = try await harness.send(request.path, body: request.body, headers: request.headers)
            #expect(response.status == 429)
            #expect(harness.sims[0].stats.received == 0)
        }
    }
}
