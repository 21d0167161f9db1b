import Logging
import Synchronization

/// The live state of one deployment on this node, shared by every request.
///
/// Updates (a sample, an outcome) take the deployment's lock: they come after an attempt, off the decision path.
/// What the decision reads (estimate figures, breaker availability, in-flight count) is then published through
/// relaxed atomics, so ranking candidates takes no lock. Fields are published one by one: a reader may see a
/// new p90 next to an old p50 for an instant, which shifts a score slightly and is harmless.
public final class DeploymentRuntime: Sendable {
    public let deployment: Deployment
    /// Position in the catalog-wide list when the runtime was made (a reload that keeps the deployment keeps the
    /// runtime, and this number, even when the deployment moved).
    public let index: Int32
    public let providerHash: UInt64
    /// Blended price per million tokens (input and output weighted equally), for the price objective.
    public let pricePerMillion: Double

    private struct State {
        var estimator: TTFTEstimator
        var breaker: CircuitBreaker
        var chosen: Int = 0
        var hedgesStarted: Int = 0
        var lastFailure: String?
    }

    /// Contended across event loops: a ``Locked`` (pthread mutex), which the thread sanitizer can follow.
    private let state: Locked<State>
    private let ewma = Atomic<UInt64>(0)
    private let recent = Atomic<UInt64>(0)
    private let mean = Atomic<UInt64>(0)
    private let p50 = Atomic<UInt64>(0)
    private let p90 = Atomic<UInt64>(0)
    private let p99 = Atomic<UInt64>(0)
    private let liveSamples = Atomic<Int>(0)
    private let probeSamples = Atomic<Int>(0)
    private let newestSampleAt = Atomic<UInt64>(0)
    private let weightBits = Atomic<UInt64>(0)
    private let weightAt = Atomic<UInt64>(0)
    private let availabilityNow = Atomic<UInt8>(0)
    private let retryAt = Atomic<UInt64>(0)
    private let availabilityAfterRetry = Atomic<UInt8>(0)
    /// Requests being served by this deployment now.
    public let inFlight = Atomic<Int>(0)
    /// Times this deployment was the first choice of a decision.
    public let decisions = Atomic<Int>(0)
    private let lastLiveSample = Atomic<UInt64>(0)
    /// Until when the deployment is suspect of hanging (monotonic nanoseconds; 0 when it is not): an attempt went
    /// past its hang threshold without a first token (see ``HangDetection``).
    private let suspectUntil = Atomic<UInt64>(0)
    private let quantileHalfLife: Double
    private let estimatorConfiguration: TTFTEstimator.Configuration

    public init(deployment: Deployment, index: Int32, estimator: TTFTEstimator.Configuration, breaker: CircuitBreaker.Configuration) {
        self.deployment = deployment
        self.index = index
        self.providerHash = ProviderIDHash.hash(of: deployment.provider.id)
        self.pricePerMillion = (deployment.price.inputPerMillion + deployment.price.outputPerMillion) / 2
        self.state = Locked(State(estimator: TTFTEstimator(configuration: estimator), breaker: CircuitBreaker(configuration: breaker)))
        self.quantileHalfLife = Double(max(estimator.quantileHalfLife, 1))
        self.estimatorConfiguration = estimator
    }

    /// A runtime for `deployment` that starts from what `previous` learned: a configuration reload kept the
    /// deployment (same ``Deployment/key``) but changed how it is served (its provider's URL, key, timeouts or its
    /// price). The estimate, breaker state, suspicion and counters carry over; the estimator and breaker keep their
    /// settings. Requests still in flight on `previous` stay counted there (this runtime's in-flight count starts
    /// at 0), and their outcomes after the copy go to `previous` alone.
    public init(carrying previous: DeploymentRuntime, as deployment: Deployment, index: Int32) {
        self.deployment = deployment
        self.index = index
        self.providerHash = ProviderIDHash.hash(of: deployment.provider.id)
        self.pricePerMillion = (deployment.price.inputPerMillion + deployment.price.outputPerMillion) / 2
        self.state = Locked(previous.state.withLock { $0 })
        self.quantileHalfLife = previous.quantileHalfLife
        self.estimatorConfiguration = previous.estimatorConfiguration
        suspectUntil.store(previous.suspectUntil.load(ordering: .relaxed), ordering: .relaxed)
        lastLiveSample.store(previous.lastLiveSample.load(ordering: .relaxed), ordering: .relaxed)
        decisions.store(previous.decisions.load(ordering: .relaxed), ordering: .relaxed)
        let now = MonotonicTime.now()
        state.withLock { publish($0, now: now) }
    }

    // MARK: Reading, lock-free

    /// The candidate the decision ranks, read from the published atomics. When background probes are the
    /// breakers' trial calls, a half-open deployment is left to them rather than to a user request.
    @inline(__always)
    public func candidateView(now: UInt64, position: Int32, trialsByProbe: Bool = false) -> CandidateView {
        var availability = availability(now: now)
        if trialsByProbe, case .trialAvailable = availability { availability = .unavailable(until: now + 1_000_000_000) }
        var retryAt = retryAtNanos
        // A suspect deployment is out like an ejected one (panic mode still sees it), until its hold ends.
        let suspect = suspectUntil.load(ordering: .relaxed)
        if now < suspect {
            let ejectedUntil: UInt64 = if case .unavailable(let until) = availability { until } else { 0 }
            availability = .unavailable(until: max(ejectedUntil, suspect))
            retryAt = max(retryAt ?? 0, suspect)
        }
        return CandidateView(
            deploymentIndex: position,
            providerHash: providerHash,
            ttft: estimate(now: now),
            availability: availability,
            inFlight: inFlight.load(ordering: .relaxed),
            capacity: deployment.provider.capacity,
            pricePerMillion: pricePerMillion,
            retryAtNanos: retryAt)
    }

    /// The estimate as last published, aged to `now`: confidence falls as the newest sample gets older.
    public func estimate(now: UInt64) -> TTFTEstimate {
        let live = liveSamples.load(ordering: .relaxed)
        let probe = probeSamples.load(ordering: .relaxed)
        guard live + probe > 0 else { return .none }
        let newest = newestSampleAt.load(ordering: .relaxed)
        let age = now > newest ? now - newest : 0
        let publishedAt = weightAt.load(ordering: .relaxed)
        let elapsed = now > publishedAt ? Double(now - publishedAt) : 0
        let weight = Double(bitPattern: weightBits.load(ordering: .relaxed)) * RoutingMath.power2(-elapsed / quantileHalfLife)
        return TTFTEstimate(
            ewmaNanos: ewma.load(ordering: .relaxed),
            recentNanos: recent.load(ordering: .relaxed),
            meanNanos: mean.load(ordering: .relaxed),
            p50Nanos: p50.load(ordering: .relaxed),
            p90Nanos: p90.load(ordering: .relaxed),
            p99Nanos: p99.load(ordering: .relaxed),
            sampleCount: live + probe,
            liveSamples: live,
            probeSamples: probe,
            newestSampleAgeNanos: age,
            effectiveWeight: weight,
            confidence: TTFTEstimator.confidence(weight: weight, age: age, configuration: estimatorConfiguration))
    }

    public func availability(now: UInt64) -> CircuitBreaker.Availability {
        let retry = retryAt.load(ordering: .relaxed)
        if retry != 0 {
            if now < retry { return .unavailable(until: retry) }
            return Self.decode(availabilityAfterRetry.load(ordering: .relaxed), until: retry)
        }
        return Self.decode(availabilityNow.load(ordering: .relaxed), until: 0)
    }

    /// Whether the breaker is closed (no ejection, no trial pending).
    public var isBreakerClosed: Bool {
        retryAt.load(ordering: .relaxed) == 0 && availabilityNow.load(ordering: .relaxed) == 0
    }

    /// When live traffic last gave a TTFT sample (monotonic nanoseconds), if ever.
    public var lastLiveSampleAt: UInt64? {
        let at = lastLiveSample.load(ordering: .relaxed)
        return at == 0 ? nil : at
    }

    public var retryAtNanos: UInt64? {
        let retry = retryAt.load(ordering: .relaxed)
        return retry == 0 ? nil : retry
    }

    // MARK: Updating, under the lock

    /// Whether the deployment is suspect of hanging at `now`.
    public func isSuspect(now: UInt64) -> Bool { now < suspectUntil.load(ordering: .relaxed) }

    /// An attempt here went past its hang threshold without a first token: no new request comes here until
    /// `until`, unless a token clears the suspicion first. Returns whether the deployment was not suspect before.
    @discardableResult
    public func markSuspect(now: UInt64, until: UInt64) -> Bool {
        let before = suspectUntil.load(ordering: .relaxed)
        if until > before { suspectUntil.store(until, ordering: .relaxed) }
        return before <= now
    }

    /// A first token arrived here (from any attempt, a hedge's included): the deployment answers, so it is not
    /// hanging.
    public func clearSuspicion() {
        if suspectUntil.load(ordering: .relaxed) != 0 { suspectUntil.store(0, ordering: .relaxed) }
    }

    /// An attempt that lost its race to another deployment's first token after `ttftNanos` without a token of its
    /// own: its TTFT is at least that (a right-censored sample). It goes to the estimator as that lower bound,
    /// which keeps a heavy-tailed deployment from looking fast because its slow answers go unseen; the breaker
    /// hears nothing, since the attempt neither succeeded nor failed.
    public func recordLowerBound(ttftNanos: UInt64, now: UInt64) {
        state.withLock { state in
            state.estimator.record(ttftNanos: ttftNanos, source: .live, now: now)
            publish(state, now: now)
        }
    }

    /// A first token arrived after `ttft`: a sample for the estimator and a success for the breaker.
    public func recordSuccess(ttftNanos: UInt64, source: SampleSource, now: UInt64) -> CircuitBreaker.Action {
        clearSuspicion()
        return state.withLock { state in
            let p90 = state.estimator.sampleCount > 0 ? state.estimator.estimate(now: now).p90Nanos : nil
            state.estimator.record(ttftNanos: ttftNanos, source: source, now: now)
            let outcome: CircuitBreaker.CallOutcome = source == .probe ? .probeSuccess : .success(ttftNanos: ttftNanos, p90Nanos: p90)
            let action = state.breaker.record(outcome, now: now)
            publish(state, now: now)
            if source == .live { lastLiveSample.store(now, ordering: .relaxed) }
            return action
        }
    }

    /// An attempt failed: not a TTFT sample; the breaker decides what it means.
    public func recordFailure(_ outcome: CircuitBreaker.CallOutcome, detail: String, now: UInt64) -> CircuitBreaker.Action {
        state.withLock { state in
            state.lastFailure = detail
            let action = state.breaker.record(outcome, now: now)
            publish(state, now: now)
            return action
        }
    }

    /// Claims the breaker's single half-open trial (or plain admission) for a request about to be sent here.
    public func admit(now: UInt64) -> CircuitBreaker.Admission {
        state.withLock { state in
            let admission = state.breaker.admit(now: now)
            publish(state, now: now)
            return admission
        }
    }

    /// Gives back a half-open trial claimed by a request that will report no outcome (its client's deadline
    /// passed, or the client left), so that the next request may be the trial at once, not after `trialTimeout`.
    public func releaseTrial(now: UInt64) {
        state.withLock { state in
            state.breaker.releaseTrial()
            publish(state, now: now)
        }
    }

    /// A consistent view for the admin endpoint.
    public func snapshot(now: UInt64) -> (estimate: TTFTEstimate, breaker: CircuitBreaker.State, openings: Int, lastFailure: String?) {
        state.withLock { ($0.estimator.estimate(now: now), $0.breaker.state, $0.breaker.openings, $0.lastFailure) }
    }

    private func publish(_ state: State, now: UInt64) {
        let estimate = state.estimator.estimate(now: now)
        if estimate.hasData {
            ewma.store(estimate.ewmaNanos, ordering: .relaxed)
            recent.store(estimate.recentNanos, ordering: .relaxed)
            mean.store(estimate.meanNanos, ordering: .relaxed)
            p50.store(estimate.p50Nanos, ordering: .relaxed)
            p90.store(estimate.p90Nanos, ordering: .relaxed)
            p99.store(estimate.p99Nanos, ordering: .relaxed)
            liveSamples.store(estimate.liveSamples, ordering: .relaxed)
            probeSamples.store(estimate.probeSamples, ordering: .relaxed)
            newestSampleAt.store(now - (estimate.newestSampleAgeNanos ?? 0), ordering: .relaxed)
            weightBits.store(estimate.effectiveWeight.bitPattern, ordering: .relaxed)
            weightAt.store(now, ordering: .relaxed)
        }
        let retry = state.breaker.retryAtNanos ?? 0
        availabilityNow.store(Self.encode(state.breaker.availability(now: now)), ordering: .relaxed)
        availabilityAfterRetry.store(Self.encode(state.breaker.availability(now: max(retry, now))), ordering: .relaxed)
        retryAt.store(retry, ordering: .relaxed)
    }

    private static func encode(_ availability: CircuitBreaker.Availability) -> UInt8 {
        switch availability {
        case .available: 0
        case .trialAvailable: 1
        case .unavailable: 2
        }
    }

    private static func decode(_ code: UInt8, until: UInt64) -> CircuitBreaker.Availability {
        switch code {
        case 0: .available
        case 1: .trialAvailable
        default: .unavailable(until: until)
        }
    }
}

/// One request counted in a deployment's in-flight number for as long as the token lives: from the start of an
/// attempt until its stream is dropped, whether it won, lost a hedge race or failed.
public final class InFlightToken: Sendable {
    private let runtime: DeploymentRuntime

    public init(_ runtime: DeploymentRuntime) {
        self.runtime = runtime
        runtime.inFlight.add(1, ordering: .relaxed)
    }

    deinit {
        runtime.inFlight.subtract(1, ordering: .relaxed)
    }
}
