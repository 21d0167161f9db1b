import RoutingCore
import Testing

@Suite("HedgePolicy and HedgeBudget", .timeLimit(.minutes(5)))
struct HedgeTests {
    private func estimate(p90Ms: Double, confidence: Double) -> TTFTEstimate {
        TTFTEstimate(
            ewmaNanos: TestTime.ms(p90Ms), recentNanos: TestTime.ms(p90Ms / 2),
            meanNanos: TestTime.ms(p90Ms * 0.6), p50Nanos: TestTime.ms(p90Ms / 2),
            p90Nanos: TestTime.ms(p90Ms), p99Nanos: TestTime.ms(p90Ms * 2), sampleCount: 10, liveSamples: 10,
            probeSamples: 0, newestSampleAgeNanos: 0, effectiveWeight: 10, confidence: confidence)
    }

    @Test("the documented defaults")
    func defaults() {
        let policy = HedgePolicy.Configuration()
        #expect(policy.floorNanos == TestTime.ms(20))
        #expect(policy.fallbackDelayNanos == TestTime.seconds(2))
        #expect(policy.minimumConfidence == 0.3)
        let budget = HedgeBudget.Configuration()
        #expect(budget.share == 0.05)
        #expect(budget.burst == 10)
    }

    @Test("off never hedges; fixed uses its delay")
    func offAndFixed() {
        #expect(HedgePolicy.off.delayNanos(for: estimate(p90Ms: 500, confidence: 1)) == nil)
        #expect(HedgePolicy.fixed(delayNanos: 123).delayNanos(for: .none) == 123)
    }

    @Test("auto hedges after the chosen deployment's p90, at least 20 ms, or the fallback on poor data")
    func auto() {
        #expect(HedgePolicy.auto.delayNanos(for: estimate(p90Ms: 700, confidence: 0.9)) == TestTime.ms(700))
        #expect(HedgePolicy.auto.delayNanos(for: estimate(p90Ms: 5, confidence: 0.9)) == TestTime.ms(20))
        #expect(HedgePolicy.auto.delayNanos(for: estimate(p90Ms: 700, confidence: 0.1)) == TestTime.seconds(2))
        #expect(HedgePolicy.auto.delayNanos(for: .none) == TestTime.seconds(2))
        let custom = HedgePolicy.Configuration(floorNanos: TestTime.ms(50), fallbackDelayNanos: TestTime.ms(10))
        #expect(HedgePolicy.auto.delayNanos(for: .none, configuration: custom) == TestTime.ms(50))
    }

    @Test("the budget starts full, then grants one hedge per 20 requests")
    func tokenBucket() {
        let budget = HedgeBudget()
        for _ in 0..<10 { #expect(budget.tryAcquireHedge()) }
        #expect(!budget.tryAcquireHedge())
        for _ in 0..<19 { budget.noteRequest() }
        #expect(!budget.tryAcquireHedge())
        // 0.05 in fixed point rounds down, so the 20th request leaves it a hair short; the 21st is enough.
        budget.noteRequest()
        budget.noteRequest()
        #expect(budget.tryAcquireHedge())
        #expect(!budget.tryAcquireHedge())
    }

    @Test("a long run never exceeds share x N + burst, and gets close to it")
    func longRun() {
        let budget = HedgeBudget()
        let requests = 200_000
        var granted = 0
        for _ in 0..<requests {
            budget.noteRequest()
            // A greedy caller that wants to hedge every request.
            if budget.tryAcquireHedge() { granted += 1 }
        }
        #expect(Double(granted) <= 0.05 * Double(requests) + 10)
        #expect(Double(granted) >= 0.05 * Double(requests) - 1)
    }

    @Test("the burst caps what a quiet spell saves up")
    func burstCap() {
        let budget = HedgeBudget(configuration: .init(share: 0.5, burst: 3))
        for _ in 0..<1_000 { budget.noteRequest() }
        #expect(budget.availableHedges == 3)
        for _ in 0..<3 { #expect(budget.tryAcquireHedge()) }
        #expect(!budget.tryAcquireHedge())
    }

    @Test("a zero share allows only the burst; a zero burst nothing at all")
    func edges() {
        let noShare = HedgeBudget(configuration: .init(share: 0, burst: 2))
        for _ in 0..<1_000 { noShare.noteRequest() }
        #expect(noShare.tryAcquireHedge())
        #expect(noShare.tryAcquireHedge())
        #expect(!noShare.tryAcquireHedge())

        let none = HedgeBudget(configuration: .init(share: 1, burst: 0))
        none.noteRequest()
        #expect(!none.tryAcquireHedge())
    }
}
