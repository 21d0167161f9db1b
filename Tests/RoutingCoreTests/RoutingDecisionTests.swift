import RoutingCore
import Testing

@Suite("RoutingDecision: ranking", .timeLimit(.minutes(5)))
struct RoutingDecisionRankingTests {
    @Test("the documented defaults")
    func defaults() {
        let configuration = RoutingDecision.Configuration()
        #expect(configuration.explorationPenalty == 0.1)
        #expect(configuration.fallbackPriorNanos == 1e9)
        #expect(configuration.loadExponent == 3)
        #expect(configuration.explorationShare == 0.01)
        #expect(configuration.explorationConfidenceBelow == 0.5)
        #expect(Objective.defaultObjective == .ttftMean)
    }

    @Test("fastest typical TTFT first")
    func fastestFirst() {
        var fixture = DecisionFixture()
        fixture.add("slow", p50Ms: 900)
        fixture.add("fast", p50Ms: 200)
        fixture.add("middle", p50Ms: 400)
        let result = fixture.rank()
        #expect(result.providers == ["fast", "middle", "slow"])
        #expect(
            result.outcome
                == .init(count: 3, reason: .best, excludedByBreaker: 0, excludedByClient: 0, excludedByMaxTTFT: 0))
        #expect(result.ranked[0].scoreNanos == 200e6)
        #expect(result.ranked.allSatisfy { !$0.isTrial && $0.orderRank == .max })
    }

    @Test("a fresh slowdown counts at once through the recent mean")
    func freshSlowdown() {
        var fixture = DecisionFixture()
        fixture.add("usually-fast", p50Ms: 200, recentMs: 700)
        fixture.add("steady", p50Ms: 400)
        #expect(fixture.rank().providers == ["steady", "usually-fast"])
    }

    @Test("the default objective ranks by the expected TTFT: a low median with a heavy tail behind a steady mean")
    func meanObjective() {
        var fixture = DecisionFixture()
        fixture.add("heavy-tail", p50Ms: 60, p90Ms: 216, meanMs: 99)
        fixture.add("steady", p50Ms: 80, p90Ms: 93, meanMs: 80)
        var result = fixture.rank()
        #expect(result.providers == ["steady", "heavy-tail"])
        #expect(result.ranked[0].scoreNanos == 80e6)
        #expect(result.ranked[1].scoreNanos == 99e6)
        // By median the heavy tail looks faster.
        result = fixture.rank(objective: .ttftP50)
        #expect(result.providers == ["heavy-tail", "steady"])
        #expect(result.ranked[0].scoreNanos == 60e6)
    }

    @Test("ttftP90 ranks by the tail, moved to the recent median")
    func p90Objective() {
        var fixture = DecisionFixture()
        fixture.add("fast-but-spiky", p50Ms: 200, p90Ms: 1_500)
        fixture.add("steady", p50Ms: 300, p90Ms: 450)
        #expect(fixture.rank(objective: .ttftP50).providers == ["fast-but-spiky", "steady"])
        #expect(fixture.rank(objective: .ttftP90).providers == ["steady", "fast-but-spiky"])

        var slowing = DecisionFixture()
        slowing.add("slowing", p50Ms: 200, p90Ms: 300, recentMs: 400)  // p90 x 2 = 600
        slowing.add("steady", p50Ms: 300, p90Ms: 500)
        #expect(slowing.rank(objective: .ttftP90).providers == ["steady", "slowing"])
        #expect(slowing.rank(objective: .ttftP90).ranked[1].scoreNanos == 600e6)

        // A speed-up counts as well: the histogram still remembers 200 ms, the level knows it is 100 ms now.
        var faster = DecisionFixture()
        faster.add("sped-up", p50Ms: 200, p90Ms: 300, recentMs: 100)  // p90 x 0.5 = 150
        faster.add("steady", p50Ms: 150, p90Ms: 200)
        #expect(faster.rank(objective: .ttftP90).providers == ["sped-up", "steady"])
        #expect(faster.rank(objective: .ttftP90).ranked[0].scoreNanos == 150e6)
    }

    @Test("price ranks by price, TTFT breaking ties; TTFT ranks break ties by price, then position")
    func priceObjective() {
        var fixture = DecisionFixture()
        fixture.add("dear-fast", p50Ms: 200, price: 10)
        fixture.add("cheap-slow", p50Ms: 900, price: 1)
        fixture.add("cheap-fast", p50Ms: 300, price: 1)
        #expect(fixture.rank(objective: .price).providers == ["cheap-fast", "cheap-slow", "dear-fast"])

        var ties = DecisionFixture()
        ties.add("a", p50Ms: 300, price: 5)
        ties.add("b", p50Ms: 300, price: 2)
        ties.add("c", p50Ms: 300, price: 2)
        #expect(ties.rank().providers == ["b", "c", "a"])
    }

    @Test("the client's sort overrides the model's objective")
    func sortOverride() {
        var fixture = DecisionFixture()
        fixture.add("dear-fast", p50Ms: 200, p90Ms: 2_000, price: 10)
        fixture.add("cheap-slow", p50Ms: 900, p90Ms: 1_000, price: 1)
        #expect(
            fixture.rank(objective: .ttftP50, control: .test(#"{"sort": "price"}"#)).providers == [
                "cheap-slow", "dear-fast",
            ])
        #expect(
            fixture.rank(objective: .price, control: .test(#"{"sort": "ttft"}"#)).providers == [
                "dear-fast", "cheap-slow",
            ])
        // `ttft` keeps a p90 objective.
        #expect(
            fixture.rank(objective: .ttftP90, control: .test(#"{"sort": "ttft"}"#)).providers == [
                "cheap-slow", "dear-fast",
            ])
        #expect(Objective.ttftP90.overridden(by: .ttft) == .ttftP90)
        #expect(Objective.price.overridden(by: .ttft) == .ttftMean)
        #expect(Objective.ttftP50.overridden(by: nil) == .ttftP50)
    }

    @Test("only providers with a capacity get a load term, cubic in utilisation")
    func loadTerm() {
        var fixture = DecisionFixture()
        fixture.add("vllm", p50Ms: 200, inFlight: 3, capacity: 4)  // (4/4)^3: x2 = 400
        fixture.add("hosted", p50Ms: 350, inFlight: 500)  // no capacity: in-flight ignored
        var result = fixture.rank()
        #expect(result.providers == ["hosted", "vllm"])
        #expect(result.ranked[1].scoreNanos == 400e6)

        // Lightly loaded, the fast self-hosted server wins: (1/4)^3 adds under 2 %.
        fixture.candidates[0].inFlight = 0
        result = fixture.rank()
        #expect(result.providers == ["vllm", "hosted"])
        #expect(result.ranked[0].scoreNanos == 200e6 * (1 + 1.0 / 64))
    }

    @Test("no data: behind a known fast deployment, ahead of a known slow one")
    func noData() {
        var fixture = DecisionFixture()
        fixture.add("unknown", p50Ms: nil)
        fixture.add("slow", p50Ms: 1_000)
        fixture.add("fast", p50Ms: 200)
        let result = fixture.rank()
        #expect(result.providers == ["fast", "unknown", "slow"])
        // Prior = median of 200 and 1000 = 600 ms, plus the 10 % exploration penalty.
        #expect(abs(result.ranked[1].scoreNanos - 660e6) < 1)
    }

    @Test("the prior is the median of the candidates with data, for odd and even counts")
    func priorIsTheMedian() {
        var random = RoutingTestRandom(seed: 5)
        for count in [1, 2, 3, 4, 7, 8, 31, 32, 63] {
            var fixture = DecisionFixture()
            var typical: [Double] = []
            for index in 0..<count {
                // Repeated values too, which selection must handle.
                let p50 = Double(50 + (random.next() % 40) * 10)
                typical.append(p50 * 1e6)
                fixture.add("p\(index)", p50Ms: p50)
            }
            fixture.add("unknown", p50Ms: nil)
            typical.sort()
            let median = count % 2 == 1 ? typical[count / 2] : (typical[count / 2 - 1] + typical[count / 2]) / 2
            let result = fixture.rank()
            let unknown = result.ranked.first { fixture.names[Int($0.candidate)] == "unknown" }
            #expect(abs((unknown?.scoreNanos ?? 0) - median * 1.1) < 1, "count \(count)")
        }
    }

    @Test("no data anywhere: all alike, so price and then position decide")
    func noDataAnywhere() {
        var fixture = DecisionFixture()
        fixture.add("a", p50Ms: nil, price: 3)
        fixture.add("b", p50Ms: nil, price: 1)
        fixture.add("c", p50Ms: nil, price: 3)
        let result = fixture.rank()
        #expect(result.providers == ["b", "a", "c"])
        #expect(result.ranked.allSatisfy { abs($0.scoreNanos - 1.1e9) < 1 })
    }

    @Test("low confidence blends toward the prior")
    func lowConfidence() {
        var fixture = DecisionFixture()
        fixture.add("stale-fast", p50Ms: 100, confidence: 0.2)
        fixture.add("known", p50Ms: 300)
        fixture.add("other", p50Ms: 500)
        let result = fixture.rank()
        // Prior = median(100, 300, 500) = 300: 0.2 x 100 + 0.8 x 330 = 284 ms, just ahead of 300.
        #expect(result.providers == ["stale-fast", "known", "other"])
        #expect(abs(result.ranked[0].scoreNanos - 284e6) < 1)

        fixture.candidates[0].ttft.confidence = 0.05
        #expect(fixture.rank().providers == ["known", "stale-fast", "other"])
    }

    @Test("no candidates, no result")
    func empty() {
        let result = DecisionFixture().rank()
        #expect(
            result.outcome
                == .init(count: 0, reason: .best, excludedByBreaker: 0, excludedByClient: 0, excludedByMaxTTFT: 0))
    }
}

@Suite("RoutingDecision: filters, order and panic", .timeLimit(.minutes(5)))
struct RoutingDecisionFilterTests {
    private func threeProviders() -> DecisionFixture {
        var fixture = DecisionFixture()
        fixture.add("openai", p50Ms: 500)
        fixture.add("groq", p50Ms: 150)
        fixture.add("together", p50Ms: 300)
        return fixture
    }

    @Test("only and ignore")
    func onlyAndIgnore() {
        let fixture = threeProviders()
        var result = fixture.rank(control: .test(#"{"only": ["openai", "together", "absent"]}"#))
        #expect(result.providers == ["together", "openai"])
        #expect(result.outcome.excludedByClient == 1)
        result = fixture.rank(control: .test(#"{"ignore": ["groq"]}"#))
        #expect(result.providers == ["together", "openai"])
        result = fixture.rank(control: .test(#"{"only": ["groq", "openai"], "ignore": ["groq"]}"#))
        #expect(result.providers == ["openai"])
        #expect(result.outcome.excludedByClient == 2)
    }

    @Test("max_ttft_ms skips deployments estimated above it, but not ones with no data")
    func maxTTFT() {
        var fixture = threeProviders()
        fixture.add("new", p50Ms: nil)
        let result = fixture.rank(control: .test(#"{"max_ttft_ms": 400}"#))
        #expect(result.providers == ["groq", "together", "new"])
        #expect(result.outcome.excludedByMaxTTFT == 1)
        // With the p90 objective the limit applies to the p90 view.
        let tail = fixture.rank(objective: .ttftP90, control: .test(#"{"max_ttft_ms": 400}"#))
        #expect(tail.providers == ["groq", "new"])
    }

    @Test("open breakers are left out; a trial stays in, ranked by its estimate and flagged")
    func breakerFilter() {
        var fixture = threeProviders()
        fixture.candidates[1].availability = .unavailable(until: 5)
        fixture.candidates[2].availability = .trialAvailable
        let result = fixture.rank()
        #expect(result.providers == ["together", "openai"])
        #expect(result.ranked.map(\.isTrial) == [true, false])
        #expect(result.outcome.excludedByBreaker == 1)
        #expect(result.outcome.reason == .best)
    }

    @Test("order moves the listed providers first, in its order")
    func order() {
        let fixture = threeProviders()
        var result = fixture.rank(control: .test(#"{"order": ["openai", "absent", "together"]}"#))
        #expect(result.providers == ["openai", "together", "groq"])
        #expect(result.outcome.reason == .order)
        #expect(result.ranked.map(\.orderRank) == [0, 2, .max])

        // Listing only providers that are not candidates changes nothing.
        result = fixture.rank(control: .test(#"{"order": ["absent"]}"#))
        #expect(result.providers == ["groq", "together", "openai"])
        #expect(result.outcome.reason == .best)
    }

    @Test("order does not bring back filtered candidates")
    func orderAfterFilters() {
        var fixture = threeProviders()
        fixture.candidates[0].availability = .unavailable(until: 5)
        let result = fixture.rank(control: .test(#"{"order": ["openai", "together"], "ignore": ["together"]}"#))
        #expect(result.providers == ["groq"])
        #expect(result.outcome.reason == .best)
    }

    @Test("allow_fallbacks false keeps only the first candidate")
    func noFallbacks() {
        let fixture = threeProviders()
        var result = fixture.rank(control: .test(#"{"allow_fallbacks": false}"#))
        #expect(result.providers == ["groq"])
        result = fixture.rank(control: .test(#"{"allow_fallbacks": false, "order": ["openai"]}"#))
        #expect(result.providers == ["openai"])
        #expect(result.outcome.reason == .order)
    }

    @Test("panic: when breakers leave nothing, earliest retry time first")
    func panic() {
        var fixture = threeProviders()
        fixture.candidates[0].availability = .unavailable(until: 300)
        fixture.candidates[0].retryAtNanos = 300
        fixture.candidates[1].availability = .unavailable(until: 900)
        fixture.candidates[1].retryAtNanos = 900
        // No retryAtNanos: the availability's time is used.
        fixture.candidates[2].availability = .unavailable(until: 100)
        let result = fixture.rank()
        #expect(result.providers == ["together", "openai", "groq"])
        #expect(result.outcome.reason == .panic)
        #expect(result.outcome.excludedByBreaker == 3)

        #expect(fixture.rank(control: .test(#"{"allow_fallbacks": false}"#)).providers == ["together"])
    }

    @Test("panic never brings back what the client or max_ttft_ms excluded")
    func panicRespectsClient() {
        var fixture = threeProviders()
        for index in fixture.candidates.indices {
            fixture.candidates[index].availability = .unavailable(until: UInt64(100 * (index + 1)))
        }
        var result = fixture.rank(control: .test(#"{"ignore": ["openai"], "max_ttft_ms": 200}"#))
        #expect(result.providers == ["groq"])
        #expect(result.outcome.reason == .panic)

        // Nothing left by the client's filters alone: no panic, nothing to try.
        var healthy = threeProviders()
        healthy.candidates[1].availability = .unavailable(until: 5)
        result = healthy.rank(control: .test(#"{"only": ["groq"], "max_ttft_ms": 100}"#))
        #expect(
            result.outcome
                == .init(count: 0, reason: .best, excludedByBreaker: 0, excludedByClient: 2, excludedByMaxTTFT: 1))
    }

    @Test("exploration moves the least-known available candidate first, for a small share of draws")
    func exploration() {
        var fixture = DecisionFixture()
        fixture.add("fast", p50Ms: 200)
        fixture.add("slow", p50Ms: 900)
        fixture.add("unknown", p50Ms: nil)
        fixture.add("little-data", p50Ms: 150, confidence: 0.3)
        fixture.add("unknown-trial", p50Ms: nil, availability: .trialAvailable)

        var result = fixture.rank(explorationDraw: 0)
        #expect(result.providers.first == "unknown")
        #expect(result.outcome.reason == .explore)
        #expect(result.outcome.count == 5)

        // A draw above 1 % of the range explores nothing.
        result = fixture.rank(explorationDraw: UInt64.max / 50)
        #expect(result.outcome.reason == .best)
        #expect(fixture.rank().outcome.reason == .best)
        // Nor when the client gave an order or wants one attempt only.
        #expect(fixture.rank(control: .test(#"{"order": ["slow"]}"#), explorationDraw: 0).providers.first == "slow")
        #expect(
            fixture.rank(control: .test(#"{"allow_fallbacks": false}"#), explorationDraw: 0).outcome.reason == .best)

        // About 1 % of uniformly random draws explore.
        var random = RoutingTestRandom(seed: 3)
        var explored = 0
        for _ in 0..<10_000 where fixture.rank(explorationDraw: random.next()).outcome.reason == .explore {
            explored += 1
        }
        #expect((60...140).contains(explored))
    }

    @Test("exploration needs a candidate that is both little known and available")
    func explorationNeedsACandidate() {
        var fixture = DecisionFixture()
        fixture.add("fast", p50Ms: 200)
        fixture.add("known", p50Ms: 300)
        fixture.add("unknown-trial", p50Ms: nil, availability: .trialAvailable)
        #expect(fixture.rank(explorationDraw: 0).outcome.reason == .best)
    }
}
