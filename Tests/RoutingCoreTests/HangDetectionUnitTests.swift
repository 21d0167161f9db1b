import Logging
import Testing

@testable import RoutingCore

@Suite("HangDetection: the threshold and the suspect state")
struct HangDetectionUnitTests {
    private func estimate(p99Ms: Double, samples: Int) -> TTFTEstimate {
        TTFTEstimate(
            ewmaNanos: TestTime.ms(p99Ms / 2), recentNanos: TestTime.ms(p99Ms / 2), meanNanos: TestTime.ms(p99Ms / 2),
            p50Nanos: TestTime.ms(p99Ms / 2), p90Nanos: TestTime.ms(p99Ms * 0.8), p99Nanos: TestTime.ms(p99Ms),
            sampleCount: samples, liveSamples: samples, probeSamples: 0, newestSampleAgeNanos: 0,
            effectiveWeight: Double(samples), confidence: 0.9)
    }

    @Test("the documented defaults: 2 x p99, at least 250 ms, from 10 samples, held 10 s")
    func defaults() {
        let hang = HangDetection()
        #expect(hang.multiplier == 2)
        #expect(hang.floorNanos == TestTime.ms(250))
        #expect(hang.minimumSamples == 10)
        #expect(hang.holdNanos == TestTime.seconds(10))
    }

    @Test("threshold: 2 x p99 above the floor, the floor below it, none with fewer than 10 samples or a zero multiplier")
    func threshold() {
        let hang = HangDetection()
        #expect(hang.thresholdNanos(for: estimate(p99Ms: 400, samples: 10)) == TestTime.ms(800))
        #expect(hang.thresholdNanos(for: estimate(p99Ms: 100, samples: 50)) == TestTime.ms(250))
        #expect(hang.thresholdNanos(for: estimate(p99Ms: 400, samples: 9)) == nil)
        #expect(hang.thresholdNanos(for: .none) == nil)
        #expect(HangDetection(multiplier: 0).thresholdNanos(for: estimate(p99Ms: 400, samples: 10)) == nil)
    }

    private func runtime() -> DeploymentRuntime {
        let provider = Provider(id: "p0", baseURL: "http://127.0.0.1:1/v1")
        let deployment = Deployment(provider: provider, upstreamModel: "u")
        return DeploymentRuntime(deployment: deployment, index: 0, estimator: .init(), breaker: .init())
    }

    @Test("a suspect deployment is unavailable to decisions until its hold ends; a first token clears it at once")
    func suspectState() {
        let runtime = runtime()
        let t0 = TestTime.origin
        #expect(runtime.candidateView(now: t0, position: 0).availability == .available)
        #expect(runtime.markSuspect(now: t0, until: t0 + TestTime.seconds(10)))
        #expect(!runtime.markSuspect(now: t0 + 1, until: t0 + TestTime.seconds(5)), "already suspect; the hold is not shortened")
        let view = runtime.candidateView(now: t0 + TestTime.seconds(1), position: 0)
        #expect(view.availability == .unavailable(until: t0 + TestTime.seconds(10)))
        #expect(view.retryAtNanos == t0 + TestTime.seconds(10))
        #expect(runtime.candidateView(now: t0 + TestTime.seconds(10), position: 0).availability == .available)

        #expect(runtime.markSuspect(now: t0 + TestTime.seconds(20), until: t0 + TestTime.seconds(30)))
        _ = runtime.recordSuccess(ttftNanos: TestTime.ms(50), source: .live, now: t0 + TestTime.seconds(21))
        #expect(runtime.candidateView(now: t0 + TestTime.seconds(21), position: 0).availability == .available)
    }

    @Test("a lost race's lower bound is an estimator sample and never a breaker success")
    func lowerBoundIsNoSuccess() {
        let runtime = runtime()
        let t0 = TestTime.origin
        for index in 0..<4 { _ = runtime.recordFailure(.failure, detail: "503", now: t0 + UInt64(index)) }
        runtime.recordLowerBound(ttftNanos: TestTime.ms(300), now: t0 + 10)
        #expect(runtime.estimate(now: t0 + 10).liveSamples == 1)
        let action = runtime.recordFailure(.failure, detail: "503", now: t0 + 20)
        #expect(action.transition?.reason == .consecutiveFailures, "the streak of 5 failures was not broken")
    }
}

@Suite("CircuitBreaker: a deployment that rejects what others serve")
struct CircuitBreakerMisconfigurationTests {
    let t0 = TestTime.origin

    @Test("opens as misconfigured after 5 rejections in a row that other deployments served")
    func opensAfterFive() {
        var breaker = CircuitBreaker()
        #expect(breaker.configuration.misconfiguredRejections == 5)
        for index in 0..<4 { #expect(breaker.record(.rejectedServedElsewhere, now: t0 + UInt64(index)) == .none) }
        let action = breaker.record(.rejectedServedElsewhere, now: t0 + 4)
        let open = CircuitBreaker.State.open(until: t0 + 4 + TestTime.seconds(10), reason: .misconfigured)
        #expect(action == .transition(.init(from: .closed, to: open, reason: .misconfigured)))
        #expect(CircuitBreaker.Reason.misconfigured.rawValue == "misconfigured")
    }

    @Test("a success resets the count; the rejections are neither failures nor window calls; 0 turns the rule off")
    func successResets() {
        var breaker = CircuitBreaker()
        for _ in 0..<4 { _ = breaker.record(.rejectedServedElsewhere, now: t0) }
        _ = breaker.record(.success(ttftNanos: TestTime.ms(100), p90Nanos: nil), now: t0)
        for _ in 0..<4 { _ = breaker.record(.rejectedServedElsewhere, now: t0) }
        // Four failures after eight rejections: the failure streak did not count the rejections.
        for _ in 0..<4 { _ = breaker.record(.failure, now: t0) }
        #expect(breaker.state == .closed)

        var off = CircuitBreaker(configuration: .init(misconfiguredRejections: 0))
        for _ in 0..<50 { _ = off.record(.rejectedServedElsewhere, now: t0) }
        #expect(off.state == .closed)
    }

    @Test("a half-open trial rejected and served elsewhere reopens it, twice as long")
    func trialRejected() {
        var breaker = CircuitBreaker()
        for index in 0..<5 { _ = breaker.record(.rejectedServedElsewhere, now: t0 + UInt64(index)) }
        let after = t0 + TestTime.seconds(11)
        #expect(breaker.admit(now: after) == .trial)
        _ = breaker.record(.rejectedServedElsewhere, now: after)
        #expect(breaker.state == .open(until: after + TestTime.seconds(20), reason: .misconfigured))
    }
}

@Suite("Breaker transition logs")
struct BreakerTransitionLogTests {
    @Test("a transition logs plain state names, the reason and the milliseconds until retry, no Swift dumps")
    func plainValues() {
        let t0 = TestTime.origin
        let deployment = Deployment(provider: Provider(id: "p0", baseURL: "http://127.0.0.1:1/v1"), upstreamModel: "u")
        let transition = CircuitBreaker.Transition(
            from: .closed, to: .open(until: t0 + TestTime.seconds(10), reason: .consecutiveFailures), reason: .consecutiveFailures)
        let metadata = RoutingEngine.logMetadata(transition, deployment: deployment, now: t0)
        #expect(metadata["from"]?.description == "closed")
        #expect(metadata["to"]?.description == "open")
        #expect(metadata["reason"]?.description == "consecutiveFailures")
        #expect(metadata["retry_in_ms"]?.description == "10000")
        let halfOpen = CircuitBreaker.Transition(from: .halfOpen(trialInFlight: true), to: .closed, reason: .trialSucceeded)
        let closing = RoutingEngine.logMetadata(halfOpen, deployment: deployment, now: t0)
        #expect(closing["from"]?.description == "half_open")
        #expect(closing["retry_in_ms"] == nil)
    }
}

@Suite("DeploymentRuntime: a trial given back")
struct TrialReleaseTests {
    @Test("a half-open trial released by a request that reports nothing lets the next request be the trial at once")
    func releasedTrial() {
        let provider = Provider(id: "p0", baseURL: "http://127.0.0.1:1/v1")
        let runtime = DeploymentRuntime(
            deployment: Deployment(provider: provider, upstreamModel: "u"), index: 0, estimator: .init(), breaker: .init())
        let t0 = TestTime.origin
        for index in 0..<5 { _ = runtime.recordFailure(.failure, detail: "503", now: t0 + UInt64(index)) }
        let after = t0 + TestTime.seconds(11)
        #expect(runtime.admit(now: after) == .trial)
        #expect(runtime.availability(now: after + 1) == .unavailable(until: after + TestTime.seconds(60)))
        runtime.releaseTrial(now: after + 2)
        #expect(runtime.availability(now: after + 3) == .trialAvailable)
        #expect(runtime.admit(now: after + 4) == .trial)
    }
}
