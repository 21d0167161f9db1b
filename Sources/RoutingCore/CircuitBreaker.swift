/// A per-deployment circuit breaker: a plain state machine that takes outcomes and the time, and returns what
/// changed. It neither reads a clock nor locks; the owner keeps it behind a lock and publishes
/// ``availability(now:)`` (or ``retryAtNanos``) to the routing decision.
///
/// - Closed: live calls fill a window of the last `windowSize` calls. It opens after `consecutiveFailures`
///   failures in a row, or when the full-enough window has a failure rate or a slow-call rate at its threshold.
/// - Open: nothing goes until `until`, which is `baseOpenDuration` x 2^(openings - 1), capped at
///   `maxOpenDuration`; openings are forgotten once the breaker stays closed for `recoveryResetInterval`.
/// - After `until`, exactly one trial may go (``admit(now:)`` returns ``Admission/trial``) and the breaker is
///   half-open. Background probes act as trials too, so no user request need be spent on testing a broken
///   provider: a probe success after `until` closes it, a probe failure opens it again for the doubled time.
/// - A 429 is not a failure: it rate-limits the deployment until `Retry-After` (or `defaultRateLimitDuration`).
/// - 401/403 opens it for `credentialsOpenDuration` and asks for a loud log.
/// - `misconfiguredRejections` requests in a row rejected as invalid here but served by another deployment open it
///   with reason ``Reason/misconfigured`` (a success in between resets the count).
///
/// Outcomes that arrive while open (from calls let through before it opened) are ignored; so are live outcomes
/// while rate-limited. All times are nanoseconds of one monotonic clock.
public struct CircuitBreaker: Sendable {
    /// The settings this breaker was made with.
    public let configuration: Configuration
    /// The current state. Time alone does not change it: an open breaker whose `until` has passed stays `open`
    /// until ``admit(now:)`` or a probe moves it (``availability(now:)`` already reports the trial).
    public private(set) var state: State = .closed
    /// Openings since the last recovery; sets the next open duration.
    public private(set) var openings = 0

    private var window: CallWindow
    private var consecutiveFailures = 0
    /// Requests rejected as invalid in a row that another deployment served (reset by a success).
    private var consecutiveRejections = 0
    /// When the breaker last closed after an opening (nil before the first opening).
    private var closedSince: UInt64?
    /// When the current half-open trial was let through.
    private var trialStartedAt: UInt64 = 0
    /// Whether the breaker goes back to half-open (rather than closed) when the current rate limit ends.
    private var rateLimitResumesHalfOpen = false

    /// A closed breaker.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        window = CallWindow(size: configuration.windowSize)
    }

    // MARK: Reading

    /// Whether a call may go at `now`, without changing anything (the routing decision reads this).
    public func availability(now: UInt64) -> Availability {
        switch state {
        case .closed:
            return .available
        case .open(let until, _):
            return now < until ? .unavailable(until: until) : .trialAvailable
        case .halfOpen(let trialInFlight):
            guard trialInFlight else { return .trialAvailable }
            let deadline = trialDeadline
            return now < deadline ? .unavailable(until: deadline) : .trialAvailable
        case .rateLimited(let until):
            if now < until { return .unavailable(until: until) }
            return rateLimitResumesHalfOpen ? .trialAvailable : .available
        }
    }

    /// The earliest time a call may go, or nil when one may go now without waiting for a time. When every
    /// deployment is out, the one with the earliest time is the one most likely to have recovered.
    public var retryAtNanos: UInt64? {
        switch state {
        case .closed: nil
        case .open(let until, _): until
        case .halfOpen(let trialInFlight): trialInFlight ? trialDeadline : nil
        case .rateLimited(let until): until
        }
    }

    // MARK: Admission

    /// Asks to send one call at `now`. Returns ``Admission/trial`` to exactly one caller once an open breaker's
    /// time is up (the breaker is then half-open with the trial in flight); that caller must report the outcome
    /// with ``record(_:now:)`` or give the trial back with ``releaseTrial()``.
    public mutating func admit(now: UInt64) -> Admission {
        switch state {
        case .closed:
            return .allowed
        case .open(let until, _):
            if now < until { return .rejected(retryAtNanos: until) }
            startTrial(now: now)
            return .trial
        case .halfOpen(let trialInFlight):
            // A trial that never reported within `trialTimeout` is presumed lost, so the breaker cannot stick.
            if trialInFlight, now < trialDeadline { return .rejected(retryAtNanos: trialDeadline) }
            startTrial(now: now)
            return .trial
        case .rateLimited(let until):
            if now < until { return .rejected(retryAtNanos: until) }
            if rateLimitResumesHalfOpen {
                startTrial(now: now)
                return .trial
            }
            state = .closed
            return .allowed
        }
    }

    /// Gives back a trial that will report no outcome (its request was cancelled before an answer), so that
    /// another trial may go at once.
    public mutating func releaseTrial() {
        if case .halfOpen(trialInFlight: true) = state { state = .halfOpen(trialInFlight: false) }
    }

    // MARK: Outcomes

    /// Records what became of a call or probe that ended at `now`, and returns the transition it caused.
    public mutating func record(_ outcome: CallOutcome, now: UInt64) -> Action {
        let before = state
        if case .rateLimited(let until) = state, now >= until {
            state = rateLimitResumesHalfOpen ? .halfOpen(trialInFlight: false) : .closed
        }
        if case .credentialsRejected = outcome {
            // Whatever the state: our key is wrong, and no amount of retrying fixes that soon.
            state = .open(until: Self.adding(now, configuration.credentialsOpenDuration), reason: .credentialsRejected)
            resetCounters()
            return .credentialsRejected(Transition(from: before, to: state, reason: .credentialsRejected))
        }
        let reason: Reason?
        switch state {
        case .closed:
            reason = recordClosed(outcome, now: now)
        case .open(let until, _):
            reason = recordOpen(outcome, until: until, now: now)
        case .halfOpen:
            reason = recordHalfOpen(outcome, now: now)
        case .rateLimited(let until):
            reason = recordRateLimited(outcome, until: until, now: now)
        }
        guard state != before else { return .none }
        return .transition(Transition(from: before, to: state, reason: reason ?? .rateLimitEnded))
    }

    private mutating func recordClosed(_ outcome: CallOutcome, now: UInt64) -> Reason? {
        switch outcome {
        case .success(let ttftNanos, let p90Nanos):
            consecutiveFailures = 0
            consecutiveRejections = 0
            window.add(failed: false, slow: isSlow(ttftNanos: ttftNanos, p90Nanos: p90Nanos))
            return checkWindow(now: now)
        case .failure:
            consecutiveFailures += 1
            window.add(failed: true, slow: false)
            if tooManyConsecutiveFailures { return open(.consecutiveFailures, now: now) }
            return checkWindow(now: now)
        case .rateLimited(let retryAfterNanos):
            return rateLimit(retryAfterNanos: retryAfterNanos, resumeHalfOpen: false, now: now)
        case .probeSuccess:
            // Probes are not user calls and stay out of the window, but they do speak to a failure streak.
            consecutiveFailures = 0
            return nil
        case .probeFailure:
            consecutiveFailures += 1
            return tooManyConsecutiveFailures ? open(.consecutiveFailures, now: now) : nil
        case .credentialsRejected:
            return nil
        case .rejectedServedElsewhere:
            consecutiveRejections += 1
            let limit = configuration.misconfiguredRejections
            return limit > 0 && consecutiveRejections >= limit ? open(.misconfigured, now: now) : nil
        }
    }

    /// Applies the window's rate rules after every call (as resilience4j does): the call that fills the window
    /// may be a success and still leave half of it failed.
    private mutating func checkWindow(now: UInt64) -> Reason? {
        if windowReachesRate(window.failureCount, configuration.failureRateThreshold) {
            return open(.failureRate, now: now)
        }
        if windowReachesRate(window.slowCount, configuration.slowCallRateThreshold) {
            return open(.slowCallRate, now: now)
        }
        return nil
    }

    private mutating func recordOpen(_ outcome: CallOutcome, until: UInt64, now: UInt64) -> Reason? {
        // Before `until` the backoff stands; live outcomes are from calls let through before the opening.
        guard now >= until else { return nil }
        switch outcome {
        case .probeSuccess:
            return close(.probeSucceeded, now: now)
        case .probeFailure:
            return open(.probeFailed, now: now)
        case .success, .failure, .rateLimited, .credentialsRejected, .rejectedServedElsewhere:
            return nil
        }
    }

    private mutating func recordHalfOpen(_ outcome: CallOutcome, now: UInt64) -> Reason? {
        switch outcome {
        case .success:
            return close(.trialSucceeded, now: now)
        case .failure:
            return open(.trialFailed, now: now)
        case .probeSuccess:
            return close(.probeSucceeded, now: now)
        case .probeFailure:
            return open(.probeFailed, now: now)
        case .rateLimited(let retryAfterNanos):
            // The provider answered, so it is up, but nothing is proven: after the limit, trial again.
            return rateLimit(retryAfterNanos: retryAfterNanos, resumeHalfOpen: true, now: now)
        case .credentialsRejected:
            return nil
        case .rejectedServedElsewhere:
            // The trial's request was served by another deployment: the misconfiguration stands.
            return open(.misconfigured, now: now)
        }
    }

    private mutating func recordRateLimited(_ outcome: CallOutcome, until: UInt64, now: UInt64) -> Reason? {
        guard case .rateLimited(let retryAfterNanos) = outcome else { return nil }
        // A later 429 may only lengthen the limit: an earlier, shorter `Retry-After` from a call that was
        // already in flight does not lift it.
        let newUntil = Self.adding(now, rateLimitDuration(retryAfterNanos))
        guard newUntil > until else { return nil }
        state = .rateLimited(until: newUntil)
        return .rateLimited
    }

    // MARK: Transitions

    private mutating func open(_ reason: Reason, now: UInt64) -> Reason {
        if case .closed = state, let closedSince, now >= closedSince,
            now - closedSince >= configuration.recoveryResetInterval
        {
            openings = 0
        }
        openings += 1
        state = .open(until: Self.adding(now, openDuration(openings: openings)), reason: reason)
        resetCounters()
        return reason
    }

    private mutating func close(_ reason: Reason, now: UInt64) -> Reason {
        state = .closed
        closedSince = now
        resetCounters()
        return reason
    }

    private mutating func rateLimit(retryAfterNanos: UInt64?, resumeHalfOpen: Bool, now: UInt64) -> Reason {
        state = .rateLimited(until: Self.adding(now, rateLimitDuration(retryAfterNanos)))
        rateLimitResumesHalfOpen = resumeHalfOpen
        return .rateLimited
    }

    private mutating func startTrial(now: UInt64) {
        state = .halfOpen(trialInFlight: true)
        trialStartedAt = now
    }

    private mutating func resetCounters() {
        window.reset()
        consecutiveFailures = 0
        consecutiveRejections = 0
    }

    // MARK: Rules

    /// `baseOpenDuration` x 2^(openings - 1), capped at `maxOpenDuration`.
    public func openDuration(openings: Int) -> UInt64 {
        let cap = configuration.maxOpenDuration
        let doublings = max(openings - 1, 0)
        guard doublings < 63 else { return cap }
        let (duration, overflow) = configuration.baseOpenDuration.multipliedReportingOverflow(
            by: UInt64(1) << UInt64(doublings))
        return overflow ? cap : min(duration, cap)
    }

    private func rateLimitDuration(_ retryAfterNanos: UInt64?) -> UInt64 {
        min(retryAfterNanos ?? configuration.defaultRateLimitDuration, configuration.maxRateLimitDuration)
    }

    private func isSlow(ttftNanos: UInt64, p90Nanos: UInt64?) -> Bool {
        if let threshold = configuration.slowCallThresholdNanos { return ttftNanos > threshold }
        guard let p90Nanos, p90Nanos > 0 else { return false }
        return Double(ttftNanos) > configuration.slowCallMultiplier * Double(p90Nanos)
    }

    private var tooManyConsecutiveFailures: Bool {
        configuration.consecutiveFailures > 0 && consecutiveFailures >= configuration.consecutiveFailures
    }

    /// Whether `count` calls of the window make at least `threshold` of it, once it holds `minimumCalls` (at most
    /// the window size, so that a minimum above the window cannot switch the rule off by accident).
    private func windowReachesRate(_ count: Int, _ threshold: Double) -> Bool {
        let minimum = min(max(configuration.minimumCalls, 1), window.size)
        guard window.count >= minimum else { return false }
        return Double(count) >= threshold * Double(window.count)
    }

    private var trialDeadline: UInt64 { Self.adding(trialStartedAt, configuration.trialTimeout) }

    /// `time + duration`, saturating at the end of time instead of trapping.
    @inline(__always)
    public static func adding(_ time: UInt64, _ duration: UInt64) -> UInt64 {
        let (sum, overflow) = time.addingReportingOverflow(duration)
        return overflow ? .max : sum
    }
}
