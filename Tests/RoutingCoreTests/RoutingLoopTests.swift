import RoutingCore
import Testing

/// The estimator and the decision in a closed loop, on a simulated clock: every 100 ms one request goes to the
/// first-ranked deployment and its TTFT is that deployment's sample; every 5 s each deployment without a live
/// sample in the last 5 s gets a probe (the routing-quality bench's probe interval). No sockets and no sleeps.
private struct RoutingLoop {
    /// One deployment: its name and, for the current step, a TTFT draw in nanoseconds.
    struct Provider {
        var name: String
        var draw: (inout RoutingTestRandom) -> UInt64
    }

    var providers: [Provider]
    var objective: Objective = .defaultObjective
    private var estimators: [TTFTEstimator]
    private var lastLive: [UInt64]
    private var random: RoutingTestRandom
    private(set) var now = TestTime.origin
    private var step = 0

    init(seed: UInt64, providers: [Provider]) {
        self.providers = providers
        estimators = providers.map { _ in TTFTEstimator() }
        lastLive = providers.map { _ in 0 }
        random = RoutingTestRandom(seed: seed)
    }

    /// Runs `seconds` of traffic and returns the name of the deployment each request went to.
    mutating func run(seconds: Double) -> [String] {
        var chosen: [String] = []
        for _ in 0..<Int(seconds * 10) {
            now += TestTime.ms(100)
            step += 1
            if step % 50 == 0 {
                for index in providers.indices where now - lastLive[index] >= TestTime.seconds(5) {
                    estimators[index].record(ttftNanos: providers[index].draw(&random), source: .probe, now: now)
                }
            }
            var fixture = DecisionFixture()
            for index in providers.indices {
                fixture.names.append(providers[index].name)
                fixture.candidates.append(
                    CandidateView(
                        deploymentIndex: Int32(index), providerHash: ProviderIDHash.hash(of: providers[index].name),
                        ttft: estimators[index].estimate(now: now)))
            }
            let first = Int(fixture.rank(objective: objective).ranked[0].candidate)
            estimators[first].record(ttftNanos: providers[first].draw(&random), source: .live, now: now)
            lastLive[first] = now
            chosen.append(providers[first].name)
        }
        return chosen
    }

    static func logNormal(_ name: String, medianMs: Double, sigma: Double) -> Provider {
        Provider(name: name) { $0.logNormalNanos(median: medianMs * 1e6, sigma: sigma) }
    }
}

private func share(of name: String, in chosen: some Collection<String>) -> Double {
    Double(chosen.filter { $0 == name }.count) / Double(chosen.count)
}

@Suite("Routing loop: estimator and decision together", .timeLimit(.minutes(5)))
struct RoutingLoopTests {
    @Test("a provider that slows from 60 to 500 ms loses its traffic within three samples, and stays off it")
    func slowdown() {
        for seed: UInt64 in 1...5 {
            var loop = RoutingLoop(
                seed: seed,
                providers: [
                    RoutingLoop.logNormal("fast", medianMs: 60, sigma: 0.5),
                    RoutingLoop.logNormal("steady", medianMs: 80, sigma: 0.12),
                ])
            let before = loop.run(seconds: 60)
            #expect(share(of: "fast", in: before.suffix(300)) > 0.8, "seed \(seed)")
            // Make sure the last request went to it, then slow it down.
            var warm = 0
            while loop.run(seconds: 0.1) != ["fast"], warm < 600 { warm += 1 }
            loop.providers[0] = RoutingLoop.logNormal("fast", medianMs: 500, sigma: 0.5)
            let after = loop.run(seconds: 30)
            let slowAnswers = after.firstIndex(of: "steady") ?? after.count
            #expect(slowAnswers <= 3, "seed \(seed): \(slowAnswers) requests went to the slowed provider first")
            #expect(share(of: "steady", in: after) > 0.98, "seed \(seed)")
        }
    }

    @Test("the default objective ranks a heavy tail by its mean: a steady 80 ms beats median 60 ms with sigma 1")
    func heavyTail() {
        for seed: UInt64 in 1...5 {
            let providers = [
                RoutingLoop.logNormal("heavy-tail", medianMs: 60, sigma: 1),  // mean 99 ms
                RoutingLoop.logNormal("steady", medianMs: 80, sigma: 0.12),  // mean 80.6 ms
            ]
            var byMean = RoutingLoop(seed: seed, providers: providers)
            let chosen = byMean.run(seconds: 180).dropFirst(300)
            #expect(share(of: "steady", in: chosen) > 0.9, "seed \(seed)")

            var byMedian = RoutingLoop(seed: seed, providers: providers)
            byMedian.objective = .ttftP50
            #expect(share(of: "heavy-tail", in: byMedian.run(seconds: 180).dropFirst(300)) > 0.8, "seed \(seed)")
        }
    }

    @Test("a provider that becomes the fastest is retaken at its next probe")
    func speedUp() {
        for seed: UInt64 in 1...5 {
            var loop = RoutingLoop(
                seed: seed,
                providers: [
                    RoutingLoop.logNormal("steady", medianMs: 80, sigma: 0.12),
                    RoutingLoop.logNormal("slow", medianMs: 150, sigma: 0.13),
                ])
            #expect(share(of: "steady", in: loop.run(seconds: 120).suffix(600)) > 0.98, "seed \(seed)")
            loop.providers[1] = RoutingLoop.logNormal("slow", medianMs: 40, sigma: 0.12)
            let after = loop.run(seconds: 30)
            // Probes come every 5 s: the first one after the change is enough.
            let retakenAfter = after.firstIndex(of: "slow") ?? after.count
            #expect(retakenAfter <= 50, "seed \(seed): retaken after \(retakenAfter) requests")
            #expect(share(of: "slow", in: after.dropFirst(retakenAfter)) > 0.98, "seed \(seed)")
        }
    }

    @Test("noise does not make the choice flap between a log-normal provider and a steady one")
    func noFlapping() {
        for seed: UInt64 in 1...5 {
            var loop = RoutingLoop(
                seed: seed,
                providers: [
                    RoutingLoop.logNormal("log-normal", medianMs: 60, sigma: 0.5),  // mean 68 ms
                    RoutingLoop.logNormal("steady", medianMs: 80, sigma: 0.12),
                ])
            let chosen = Array(loop.run(seconds: 300).dropFirst(100))
            var switches = 0
            for index in chosen.indices.dropFirst() where chosen[index] != chosen[index - 1] { switches += 1 }
            // Five minutes, 2,900 requests: a switch is rare, and most requests go to the faster on average.
            #expect(switches <= 12, "seed \(seed): \(switches) switches")
            #expect(share(of: "log-normal", in: chosen) > 0.7, "seed \(seed)")
        }
    }
}
