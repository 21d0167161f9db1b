import AsyncHTTPClient
import EdgeRouter
import Foundation
import Logging
import NIOCore
import ProviderSim
import ServiceLifecycle

/// The routing issue's acceptance scenario, with real servers on loopback: simulated providers, the router, and a
/// client that times each answer's first content delta. Prints one line per figure.
///
///   swift run -c release routing-scenario
@main
struct RoutingScenario {
    static let key = "scenario-key"

    static func main() async throws {
        var logger = Logger(label: "scenario")
        logger.logLevel = .critical
        print("== routing scenario (\(ProcessInfo.processInfo.processorCount) cores) ==")
        // `routing-scenario hedging` (or `routing`) runs one part only.
        let only = CommandLine.arguments.dropFirst().first
        if only == nil || only == "routing" { try await fastestAndFailures(logger) }
        if only == nil || only == "hedging" { try await hedging(logger) }
    }

    /// Three providers with TTFT 80, 150 and 300 ms: share to the fastest; a 503 outage; recovery; a slowdown.
    static func fastestAndFailures(_ logger: Logger) async throws {
        try await withSetup(
            sims: [sim(ttft: 300), sim(ttft: 150), sim(ttft: 80)], model: "", logger: logger
        ) { sims, client, base in
            for _ in 0..<20 { _ = try await request(client, base) }
            var chosen: [String] = []
            for _ in 0..<200 { chosen.append(try await request(client, base).provider) }
            let share = Double(chosen.filter { $0 == "p2" }.count) / Double(chosen.count)
            print(String(format: "share of 200 requests to the 80 ms provider after warm-up: %.1f %% (target >= 95 %%)", share * 100))

            sims[2].update { $0.errorRate = 1 }
            var errors = 0
            for _ in 0..<30 {
                if try await request(client, base).status != 200 { errors += 1 }
            }
            print("503 outage of the fastest: client errors \(errors); requests spent on it before traffic moved: \(sims[2].stats.failed) (target <= 5)")

            sims[2].update { $0.errorRate = 0 }
            let healed = ContinuousClock.now
            while try await request(client, base).provider != "p2", ContinuousClock.now - healed < .seconds(60) {}
            print(String(format: "recovery: traffic back %.2f s after the provider healed (breaker base open time 10 s, one trial)",
                Double((ContinuousClock.now - healed).components.attoseconds) / 1e18 + Double((ContinuousClock.now - healed).components.seconds)))

            sims[2].update { $0.ttftMilliseconds = 500 }
            let slowed = ContinuousClock.now
            var streak = 0
            var slowErrors = 0
            while streak < 5, ContinuousClock.now - slowed < .seconds(30) {
                let answer = try await request(client, base)
                if answer.status != 200 { slowErrors += 1 }
                streak = answer.provider == "p1" ? streak + 1 : 0
            }
            let moved = ContinuousClock.now - slowed
            print(String(format: "TTFT 80 -> 500 ms: traffic moved within %.2f s (target < 10 s), client errors %d",
                Double(moved.components.seconds) + Double(moved.components.attoseconds) / 1e18, slowErrors))
        }
    }

    /// Hedging, the usual reason to want it: a cheap provider with a heavy tail (log-normal, median 60 ms,
    /// sigma 1: p90 216 ms, p99 614 ms) and a premium one that is steady (normal, 40 ms, spread 5 ms), for a model
    /// whose objective is price. Every request goes first to the cheap one in both runs (price decides, so routing
    /// is identical and only hedging differs); with hedging on, a request still without a first token at the cheap
    /// provider's p90 is also sent to the premium one. Prints the client's p50/p99 TTFT and the extra upstream
    /// requests of each run, and how hedged requests fared.
    static func hedging(_ logger: Logger) async throws {
        // The budget's burst (10 hedges) comes on top of its share; 9.5 % keeps the total within 10 %.
        let hedgeBudget = 0.095
        var results: [(label: String, p50: Double, p99: Double, extra: Double)] = []
        for hedge in ["off", "auto"] {
            var steady = sim(ttft: 40, distribution: .normal, seed: 12)
            steady.ttftSpreadMilliseconds = 5
            let sims = [sim(ttft: 60, distribution: .lognormal, sigma: 1, seed: 11), steady]
            try await withSetup(
                sims: sims, model: "    objective: price\n    hedge: \(hedge)\n",
                prices: ["{ input_per_mtok: 0.2, output_per_mtok: 0.6 }", "{ input_per_mtok: 3, output_per_mtok: 15 }"],
                extraRouting: "  hedge_budget: \(hedgeBudget)\n", logger: logger
            ) { sims, client, base in
                for _ in 0..<100 { _ = try await request(client, base) }
                let before = sims.reduce(0) { $0 + $1.stats.received }
                // 3,000 requests, 6 at a time: a sample p99 of 1,000 log-normal draws still wanders by about
                // 70 ms (one standard error), which is too coarse to compare two runs.
                let requests = 3000
                let answers = try await withThrowingTaskGroup(of: [Answer].self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            var answers: [Answer] = []
                            for _ in 0..<(requests / 6) { answers.append(try await request(client, base)) }
                            return answers
                        }
                    }
                    return try await group.reduce(into: [Answer]()) { $0 += $1 }
                }
                let ttfts = answers.map(\.ttftMs).sorted()
                let upstream = sims.reduce(0) { $0 + $1.stats.received } - before
                let extra = Double(upstream - requests) / Double(requests)
                results.append((hedge, ttfts[requests / 2], ttfts[requests * 99 / 100], extra))
                let won = answers.filter { $0.reason == "hedge" }.map(\.ttftMs).sorted()
                if !won.isEmpty {
                    print(String(format: "  hedging %@: %d hedges won (TTFT p50 %.1f ms, max %.1f ms), %d hedges started",
                        hedge, won.count, won[won.count / 2], won.last ?? 0, upstream - requests))
                }
                let errors = answers.filter { $0.status != 200 }.count
                if errors > 0 { print("  hedging \(hedge): \(errors) client errors") }
            }
        }
        for result in results {
            print(String(format: "hedging %@: client TTFT p50 %.1f ms, p99 %.1f ms, extra upstream requests %.1f %%",
                result.label, result.p50, result.p99, result.extra * 100))
        }
        if results.count == 2 {
            print(String(format: "hedging cut p99 by %.2fx (target >= 2x) for %.1f %% extra upstream requests (target <= 10 %%)",
                results[0].p99 / results[1].p99, results[1].extra * 100))
        }
    }

    static func sim(ttft: Double, distribution: SimulatorSettings.Distribution = .fixed, sigma: Double = 0.5, seed: UInt64 = 1)
        -> SimulatorSettings
    {
        var settings = SimulatorSettings()
        settings.ttftMilliseconds = ttft
        settings.distribution = distribution
        settings.ttftSigma = sigma
        settings.seed = seed
        settings.answerTokens = 2
        settings.tokensPerSecond = 1000
        return settings
    }

    struct Answer {
        var status: Int
        var provider: String
        var reason: String
        var ttftMs: Double
    }

    /// One streaming request; TTFT is the time to the first `data:` frame with content, seen by the client.
    static func request(_ client: HTTPClient, _ base: String, route: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: base + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(key)")
        if let route { request.headers.add(name: "x-edge-route", value: route) }
        request.body = .bytes(ByteBuffer(string: #"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
        let start = ContinuousClock.now
        let response = try await client.execute(request, timeout: .seconds(60))
        var ttft: Duration?
        var text = ""
        for try await buffer in response.body {
            text += String(buffer: buffer)
            if ttft == nil, text.contains(#""content":""#), text.range(of: #""content":"[^"]"#, options: .regularExpression) != nil {
                ttft = ContinuousClock.now - start
            }
        }
        let elapsed = ttft ?? (ContinuousClock.now - start)
        return Answer(
            status: Int(response.status.code), provider: response.headers.first(name: "x-edge-provider") ?? "none",
            reason: response.headers.first(name: "x-edge-route-reason") ?? "none",
            ttftMs: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }

    static func withSetup(
        sims settings: [SimulatorSettings], model: String, prices: [String]? = nil, extraRouting: String = "", logger: Logger,
        _ body: ([ProviderSimulator], HTTPClient, String) async throws -> Void
    ) async throws {
        var sims: [ProviderSimulator] = []
        var streams: [AsyncStream<Int>] = []
        for setting in settings {
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            sims.append(ProviderSimulator(settings: setting, logger: logger) { continuation.yield($0) })
            streams.append(ports)
        }
        let simGroup = ServiceGroup(services: sims, logger: logger)
        let simTask = Task { try await simGroup.run() }
        var ports: [Int] = []
        for stream in streams {
            var iterator = stream.makeAsyncIterator()
            ports.append(await iterator.next() ?? 0)
        }
        let providers = ports.enumerated().map { "  - { id: p\($0.offset), base_url: \"http://127.0.0.1:\($0.element)/v1\", region: local }" }
        let deployments = ports.indices.map { index in
            "      - { provider: p\(index), model: sim-\(index)\(prices.map { ", price: \($0[index])" } ?? "") }"
        }
        let yaml = """
            server: { port: 0, max_attempts: 3 }
            providers:
            \(providers.joined(separator: "\n"))
            models:
              - name: m
            \(model)    deployments:
            \(deployments.joined(separator: "\n"))
            keys:
              - { id: scenario, key: \(key) }
            routing:
            \(extraRouting)  ewma_decay_ms: 10000
            """
        let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: [:])
        let (routerPorts, routerPort) = AsyncStream.makeStream(of: Int.self)
        let router = try EdgeRouterServer(configuration: configuration, logger: logger) { routerPort.yield($0) }
        let routerGroup = ServiceGroup(services: [router], logger: logger)
        let routerTask = Task { try await routerGroup.run() }
        var iterator = routerPorts.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        do {
            try await body(sims, client, "http://127.0.0.1:\(port)")
        } catch {
            print("scenario failed: \(error)")
        }
        try await client.shutdown()
        await routerGroup.triggerGracefulShutdown()
        _ = try? await routerTask.value
        await simGroup.triggerGracefulShutdown()
        _ = try? await simTask.value
    }
}
