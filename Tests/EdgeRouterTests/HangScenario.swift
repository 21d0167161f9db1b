import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import Testing

/// The hang scenario of issue 11: three equal simulated providers, the one the router prefers starts hanging
/// (accepts requests, never sends a token), and clients keep sending 10 requests a second for 8 seconds. What it
/// measures is how many of those requests paid more than twice the hung deployment's p99 TTFT (as the router
/// knew it just before the hang).
struct HangScenario {
    /// What one run measured.
    struct Outcome: CustomStringConvertible {
        var p99Ms: Double
        var latenciesMs: [Double]
        var errors: Int
        var hungProvider: String

        var thresholdMs: Double { 2 * p99Ms }
        /// Requests that took longer than twice the hung deployment's p99.
        var slow: Int { latenciesMs.filter { $0 > thresholdMs }.count }
        var maxMs: Double { latenciesMs.max() ?? 0 }

        var description: String {
            let sorted = latenciesMs.sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            return "hung \(hungProvider), p99 \(p99Ms) ms: \(slow) of \(latenciesMs.count) requests took more than "
                + "\(thresholdMs) ms (median \(median) ms, max \(maxMs) ms), \(errors) errors"
        }
    }

    /// First-token timeout of every provider, in ms.
    var firstTokenMs: Int
    /// Idle (read) timeout of every provider, in ms: the upstream client's read timeout, which also runs before
    /// the first token, so it must not be shorter than the first-token timeout under test.
    var idleMs: Int
    /// The model's `hedge` setting, or nil for the default.
    var hedge: String?
    var requestsPerSecond = 10
    var seconds = 8

    static let adminKey = "scenario-admin"

    static func sim(seed: UInt64) -> SimulatorSettings {
        var settings = ChatStreamingTests.fastSim(ttft: 100, tokens: 2)
        settings.distribution = .normal
        settings.ttftSpreadMilliseconds = 10
        settings.seed = seed
        return settings
    }

    func run() async throws -> Outcome {
        let hedge = self.hedge
        let firstTokenMs = self.firstTokenMs
        let idleMs = self.idleMs
        let requestsPerSecond = self.requestsPerSecond
        let seconds = self.seconds
        return try await RouterHarness.run(
            sims: [Self.sim(seed: 1), Self.sim(seed: 2), Self.sim(seed: 3)],
            yaml: { ports in
                var yaml = testYAML(ports: ports, firstTokenMs: firstTokenMs, idleMs: idleMs, maxAttempts: 3)
                    + "\nadmin_keys:\n  - { id: ops, key: \(Self.adminKey) }\n"
                if let hedge { yaml = yaml.replacingOccurrences(of: "  - name: m\n", with: "  - name: m\n    hedge: \(hedge)\n") }
                return yaml
            }
        ) { harness in
            // Warm-up: every deployment measured (pinned requests), then enough plain requests for the estimates.
            for provider in ["p0", "p1", "p2"] {
                for _ in 0..<10 { #expect(try await harness.chat(model: "\(provider)/m", stream: false).status == 200) }
            }
            for _ in 0..<10 { #expect(try await harness.chat(model: "m", stream: false).status == 200) }
            let (preferred, p99) = try await Self.preferred(harness)
            guard let index = Int(preferred.dropFirst()), harness.sims.indices.contains(index) else {
                Issue.record("no preferred provider: \(preferred)")
                return Outcome(p99Ms: p99, latenciesMs: [], errors: 0, hungProvider: preferred)
            }
            try await harness.sims[index].configure { $0.hang = true }

            let count = requestsPerSecond * seconds
            let interval = Duration.milliseconds(1000 / requestsPerSecond)
            // A client of its own with a connection per request: the harness's pool (8 connections) would queue
            // the requests that wait and measure its own queue.
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: count)
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            let results: [(Double, Bool)]
            do {
                results = try await Self.send(count, every: interval, with: client, base: harness.base)
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
            return Outcome(
                p99Ms: p99, latenciesMs: results.map(\.0), errors: results.filter { !$0.1 }.count, hungProvider: preferred)
        }
    }

    /// Sends `count` requests, one every `interval`, each on its own; returns each one's time in ms and whether it
    /// succeeded.
    static func send(_ count: Int, every interval: Duration, with client: HTTPClient, base: String) async throws -> [(Double, Bool)] {
        let start = ContinuousClock.now
        return try await withThrowingTaskGroup(of: (Double, Bool).self) { group in
            for request in 0..<count {
                // Pacing, not waiting for an event: the scenario is a steady arrival rate.
                try await Task.sleep(until: start + interval * request, clock: .continuous)
                group.addTask {
                    let sent = ContinuousClock.now
                    let status = try await Self.chat(client, base: base)
                    let elapsed = ContinuousClock.now - sent
                    return (Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15, status == 200)
                }
            }
            var results: [(Double, Bool)] = []
            for try await result in group { results.append(result) }
            return results
        }
    }

    /// The provider ranked first by `/admin/routes`, and its p99 TTFT in ms.
    static func preferred(_ harness: RouterHarness) async throws -> (String, Double) {
        let response = try await harness.send("/admin/routes", method: .GET, headers: [("authorization", "Bearer \(adminKey)")])
        let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        let model = try #require((object["models"] as? [[String: Any]])?.first)
        let first = try #require((model["deployments"] as? [[String: Any]])?.first)
        let ttft = try #require(first["ttft_ms"] as? [String: Any])
        return (first["provider"] as? String ?? "", ttft["p99"] as? Double ?? 0)
    }

    /// One non-streaming request, with a client timeout longer than any first-token timeout of the scenario.
    static func chat(_ client: HTTPClient, base: String) async throws -> Int {
        var request = HTTPClientRequest(url: base + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(RouterHarness.clientKey)")
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: RouterHarness.chatBody(model: "m", stream: false)))
        let response = try await client.execute(request, timeout: .seconds(90))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}
