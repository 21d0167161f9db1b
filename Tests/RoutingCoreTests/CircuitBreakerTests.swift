import RoutingCore
import Testing

@Suite("CircuitBreaker: closed and opening", .timeLimit(.minutes(5)))
struct CircuitBreakerOpeningTests {
    typealias Breaker = CircuitBreaker
    let t0 = TestTime.origin

    @Test("the documented defaults")
    func defaults() {
        let configuration = Breaker.Configuration()
        #expect(configuration.consecutiveFailures == 5)
        #expect(configuration.windowSize == 20)
        #expect(configuration.minimumCalls == 20)
        #expect(configuration.failureRateThreshold == 0.5)
        #expect(configuration.slowCallRateThreshold == 0.5)
        #expect(configuration.slowCallMultiplier == 3)
        #expect(configuration.slowCallThresholdNanos == nil)
        #expect(configuration.baseOpenDuration == TestTime.seconds(10))
        #expect(configuration.maxOpenDuration == TestTime.seconds(300))
        #expect(configuration.recoveryResetInterval == TestTime.seconds(600))
        #expect(configuration.defaultRateLimitDuration == TestTime.seconds(5))
        #expect(configuration.maxRateLimitDuration == TestTime.seconds(300))
        #expect(configuration.credentialsOpenDuration == TestTime.seconds(300))
        #expect(configuration.trialTimeout == TestTime.seconds(60))
    }

    @Test("a new breaker is closed and lets calls through")
    func startsClosed() {
        var breaker = Breaker()
        #expect(breaker.state == .closed)
        #expect(breaker.availability(now: t0) == .available)
        #expect(breaker.retryAtNanos == nil)
        #expect(breaker.admit(now: t0) == .allowed)
        #expect(breaker.openings == 0)
    }

    @Test("opens after 5 failures in a row, for 10 s")
    func consecutiveFailures() {
        var breaker = Breaker()
        for index in 0..<4 {
            #expect(breaker.record(.failure, now: t0 + UInt64(index)) == .none)
        }
        #expect(breaker.state == .closed)
        let action = breaker.record(.failure, now: t0 + 4)
        let open = Breaker.State.open(until: t0 + 4 + TestTime.seconds(10), reason: .consecutiveFailures)
        #expect(action == .transition(.init(from: .closed, to: open, reason: .consecutiveFailures)))
        #expect(breaker.state == open)
        #expect(breaker.openings == 1)
    }

    @Test("a success breaks a failure streak")
    func successResetsStreak() {
        var breaker = Breaker()
        for _ in 0..<4 { _ = breaker.record(.failure, now: t0) }
        _ = breaker.record(.success(ttftNanos: TestTime.ms(200), p90Nanos: nil), now: t0)
        for _ in 0..<4 { _ = breaker.record(.failure, now: t0) }
        #expect(breaker.state == .closed)
    }

    @Test("opens when half of the last 20 calls failed, once 20 calls were seen")
    func failureRate() {
        var breaker = Breaker()
        // F S F S ...: never two failures in a row; 10 failures in the first 19 calls.
        for index in 0..<19 {
            let outcome: Breaker.CallOutcome =
                index % 2 == 0 ? .failure : .success(ttftNanos: TestTime.ms(100), p90Nanos: nil)
            #expect(breaker.record(outcome, now: t0) == .none)
        }
        // The 20th call, a success, fills the window with 10 failures out of 20: 50 %.
        let action = breaker.record(.success(ttftNanos: TestTime.ms(100), p90Nanos: nil), now: t0 + 1)
        #expect(action.transition?.reason == .failureRate)
        #expect(breaker.state == .open(until: t0 + 1 + TestTime.seconds(10), reason: .failureRate))
    }

    @Test("49 % failures do not open it, and old failures slide out of the window")
    func failureRateBelowThreshold() {
        var breaker = Breaker()
        // 9 failures in 20 calls, spread out.
        for index in 0..<20 {
            let outcome: Breaker.CallOutcome =
                index % 2 == 1 && index < 18 ? .failure : .success(ttftNanos: 1, p90Nanos: nil)
            _ = breaker.record(outcome, now: t0)
        }
        #expect(breaker.state == .closed)
        // Twenty successes push every failure out; then 9 alternating failures still leave it closed.
        for _ in 0..<20 { _ = breaker.record(.success(ttftNanos: 1, p90Nanos: nil), now: t0) }
        for index in 0..<18 {
            _ = breaker.record(index % 2 == 0 ? .failure : .success(ttftNanos: 1, p90Nanos: nil), now: t0)
        }
        #expect(breaker.state == .closed)
    }

    @Test("opens when half of the last 20 calls were slower than 3 x their p90")
    func slowCallRate() {
        var breaker = Breaker()
        let p90 = TestTime.ms(400)
        for index in 0..<19 {
            // Exactly 3 x p90 is not slow; one nanosecond more is.
            let ttft = index % 2 == 0 ? 3 * p90 + 1 : 3 * p90
            #expect(breaker.record(.success(ttftNanos: ttft, p90Nanos: p90), now: t0) == .none)
        }
        let action = breaker.record(.success(ttftNanos: 3 * p90, p90Nanos: p90), now: t0)
        #expect(action.transition?.reason == .slowCallRate)
        #expect(breaker.state == .open(until: t0 + TestTime.seconds(10), reason: .slowCallRate))
    }

    @Test("without a p90 a call is not judged slow; an absolute threshold replaces the multiple")
    func slowCallThresholds() {
        var noP90 = Breaker()
        for _ in 0..<40 { _ = noP90.record(.success(ttftNanos: TestTime.seconds(60), p90Nanos: nil), now: t0) }
        #expect(noP90.state == .closed)

        var absolute = Breaker(configuration: .init(slowCallThresholdNanos: TestTime.seconds(2)))
        for _ in 0..<19 {
            // Slow against the absolute threshold, not against 3 x p90.
            _ = absolute.record(.success(ttftNanos: TestTime.ms(2_500), p90Nanos: TestTime.seconds(1)), now: t0)
        }
        #expect(absolute.state == .closed)
        let action = absolute.record(.success(ttftNanos: TestTime.ms(2_500), p90Nanos: TestTime.seconds(1)), now: t0)
        #expect(action.transition?.reason == .slowCallRate)
    }

    @Test("a minimum above the window size is clamped; 0 consecutive failures turns that rule off")
    func configurationEdges() {
        var breaker = Breaker(configuration: .init(consecutiveFailures: 0, windowSize: 4, minimumCalls: 50))
        for _ in 0..<3 { _ = breaker.record(.failure, now: t0) }
        #expect(breaker.state == .closed)
        #expect(breaker.record(.failure, now: t0).transition?.reason == .failureRate)
    }

    @Test("a window of 64 calls works")
    func fullWidthWindow() {
        var breaker = Breaker(configuration: .init(consecutiveFailures: 0, windowSize: 64, minimumCalls: 64))
        for index in 0..<63 {
            _ = breaker.record(index % 2 == 0 ? .failure : .success(ttftNanos: 1, p90Nanos: nil), now: t0)
        }
        #expect(breaker.state == .closed)
        #expect(breaker.record(.success(ttftNanos: 1, p90Nanos: nil), now: t0).transition?.reason == .failureRate)
    }

    @Test("probe outcomes count toward a failure streak but not the window")
    func probesWhileClosed() {
        var breaker = Breaker()
        for _ in 0..<4 { _ = breaker.record(.failure, now: t0) }
        _ = breaker.record(.probeSuccess, now: t0)
        for _ in 0..<4 { _ = breaker.record(.failure, now: t0) }
        #expect(breaker.state == .closed)

        var quiet = Breaker()
        for _ in 0..<4 { #expect(quiet.record(.probeFailure, now: t0) == .none) }
        #expect(quiet.record(.probeFailure, now: t0).transition?.reason == .consecutiveFailures)

        // Probes stay out of the window: 19 live successes and 20 probe failures (with successes between them so
        // no streak forms) leave the window at 19 calls and the breaker closed.
        var mixed = Breaker()
        for _ in 0..<19 { _ = mixed.record(.success(ttftNanos: 1, p90Nanos: nil), now: t0) }
        for _ in 0..<10 {
            _ = mixed.record(.probeFailure, now: t0)
            _ = mixed.record(.probeFailure, now: t0)
            _ = mixed.record(.probeSuccess, now: t0)
        }
        #expect(mixed.state == .closed)
    }
}

@Suite("CircuitBreaker: open, half-open and recovery", .timeLimit(.minutes(5)))
struct CircuitBreakerRecoveryTests {
    typealias Breaker = CircuitBreaker
    let t0 = TestTime.origin

    /// A breaker opened by consecutive failures at `t0`.
    private func opened(_ configuration: Breaker.Configuration = .init()) -> Breaker {
        var breaker = Breaker(configuration: configuration)
        for _ in 0..<configuration.consecutiveFailures { _ = breaker.record(.failure, now: t0) }
        return breaker
    }

    @Test("while open: calls are rejected until `until`, and the time is published")
    func openRejects() {
        var breaker = opened()
        let until = t0 + TestTime.seconds(10)
        #expect(breaker.availability(now: until - 1) == .unavailable(until: until))
        #expect(breaker.admit(now: until - 1) == .rejected(retryAtNanos: until))
        #expect(breaker.retryAtNanos == until)
        #expect(breaker.availability(now: until) == .trialAvailable)
        // Reading does not change it.
        #expect(breaker.state == .open(until: until, reason: .consecutiveFailures))
    }

    @Test("after `until` exactly one trial goes; others wait")
    func singleTrial() {
        var breaker = opened()
        let until = t0 + TestTime.seconds(10)
        #expect(breaker.admit(now: until) == .trial)
        #expect(breaker.state == .halfOpen(trialInFlight: true))
        let deadline = until + TestTime.seconds(60)
        #expect(breaker.admit(now: until + 1) == .rejected(retryAtNanos: deadline))
        #expect(breaker.availability(now: until + 1) == .unavailable(until: deadline))
        #expect(breaker.retryAtNanos == deadline)
    }

    @Test("a trial success closes it")
    func trialSuccess() {
        var breaker = opened()
        let until = t0 + TestTime.seconds(10)
        _ = breaker.admit(now: until)
        let action = breaker.record(.success(ttftNanos: TestTime.ms(300), p90Nanos: nil), now: until + 5)
        #expect(
            action == .transition(.init(from: .halfOpen(trialInFlight: true), to: .closed, reason: .trialSucceeded)))
        #expect(breaker.availability(now: until + 5) == .available)
        #expect(breaker.retryAtNanos == nil)
        // The counters start afresh: four failures do not reopen it.
        for _ in 0..<4 { _ = breaker.record(.failure, now: until + 6) }
        #expect(breaker.state == .closed)
    }

    @Test("a trial failure reopens it for twice as long, doubling up to 300 s")
    func trialFailureDoubles() {
        var breaker = opened()
        var now = t0 + TestTime.seconds(10)
        var expected: [UInt64] = []
        for openings in 2...8 {
            #expect(breaker.admit(now: now) == .trial)
            let action = breaker.record(.failure, now: now)
            #expect(action.transition?.reason == .trialFailed)
            #expect(breaker.openings == openings)
            guard case .open(let until, .trialFailed) = breaker.state else {
                Issue.record("expected open after a failed trial, got \(breaker.state)")
                return
            }
            expected.append((until - now) / 1_000_000_000)
            now = until
        }
        #expect(expected == [20, 40, 80, 160, 300, 300, 300])
    }

    @Test("openings are forgotten after 10 minutes closed")
    func recoveryReset() {
        var breaker = opened()
        var now = t0 + TestTime.seconds(10)
        _ = breaker.admit(now: now)
        _ = breaker.record(.failure, now: now)  // second opening: 20 s
        now += TestTime.seconds(20)
        _ = breaker.admit(now: now)
        _ = breaker.record(.success(ttftNanos: 1, p90Nanos: nil), now: now)
        #expect(breaker.openings == 2)

        // Reopening within 10 minutes: the third opening, 40 s.
        var soon = breaker
        for _ in 0..<5 { _ = soon.record(.failure, now: now + TestTime.seconds(599)) }
        #expect(soon.state == .open(until: now + TestTime.seconds(599 + 40), reason: .consecutiveFailures))

        // After 10 minutes closed it starts again at 10 s.
        for _ in 0..<5 { _ = breaker.record(.failure, now: now + TestTime.seconds(600)) }
        #expect(breaker.state == .open(until: now + TestTime.seconds(610), reason: .consecutiveFailures))
        #expect(breaker.openings == 1)
    }

    @Test("a lost trial frees up after the trial timeout; releaseTrial frees it at once")
    func lostTrial() {
        var breaker = opened()
        let until = t0 + TestTime.seconds(10)
        _ = breaker.admit(now: until)
        #expect(breaker.admit(now: until + TestTime.seconds(60)) == .trial)
        breaker.releaseTrial()
        #expect(breaker.state == .halfOpen(trialInFlight: false))
        #expect(breaker.availability(now: until + TestTime.seconds(61)) == .trialAvailable)
        #expect(breaker.retryAtNanos == nil)
        #expect(breaker.admit(now: until + TestTime.seconds(61)) == .trial)
        // Releasing when no trial is out changes nothing.
        var closed = Breaker()
        closed.releaseTrial()
        #expect(closed.state == .closed)
    }

    @Test("outcomes of calls let through before the opening are ignored while open")
    func staleOutcomesWhileOpen() {
        var breaker = opened()
        let state = breaker.state
        #expect(breaker.record(.success(ttftNanos: 1, p90Nanos: nil), now: t0 + 1) == .none)
        #expect(breaker.record(.failure, now: t0 + 2) == .none)
        #expect(breaker.record(.rateLimited(retryAfterNanos: nil), now: t0 + 3) == .none)
        // Even after `until`: only a trial or a probe decides.
        #expect(breaker.record(.success(ttftNanos: 1, p90Nanos: nil), now: t0 + TestTime.seconds(11)) == .none)
        #expect(breaker.state == state)
    }

    @Test("probes: ignored before `until`; after it a success closes and a failure reopens, doubled")
    func probesWhileOpen() {
        var breaker = opened()
        let until = t0 + TestTime.seconds(10)
        #expect(breaker.record(.probeSuccess, now: until - 1) == .none)
        #expect(breaker.record(.probeFailure, now: until - 1) == .none)
        #expect(breaker.openings == 1)

        var failing = breaker
        let reopened = failing.record(.probeFailure, now: until)
        #expect(reopened.transition?.reason == .probeFailed)
        #expect(failing.state == .open(until: until + TestTime.seconds(20), reason: .probeFailed))

        let closed = breaker.record(.probeSuccess, now: until)
        #expect(closed.transition?.reason == .probeSucceeded)
        #expect(breaker.state == .closed)
    }

    @Test("probes in half-open act as the trial")
    func probesWhileHalfOpen() {
        var breaker = opened()
        let until = t0 + TestTime.seconds(10)
        _ = breaker.admit(now: until)

        var failing = breaker
        #expect(failing.record(.probeFailure, now: until + 1).transition?.reason == .probeFailed)
        #expect(failing.state == .open(until: until + 1 + TestTime.seconds(20), reason: .probeFailed))

        let action = breaker.record(.probeSuccess, now: until + 1)
        #expect(
            action == .transition(.init(from: .halfOpen(trialInFlight: true), to: .closed, reason: .probeSucceeded)))
        // The user trial, reporting later, is then an ordinary closed-state call.
        #expect(breaker.record(.success(ttftNanos: 1, p90Nanos: nil), now: until + 2) == .none)
    }
}

@Suite("CircuitBreaker: rate limits and credentials", .timeLimit(.minutes(5)))
struct CircuitBreakerRateLimitTests {
    typealias Breaker = CircuitBreaker
    let t0 = TestTime.origin

    @Test("429 rate-limits until Retry-After and is not a failure")
    func rateLimited() {
        var breaker = Breaker()
        for _ in 0..<4 { _ = breaker.record(.failure, now: t0) }
        let until = t0 + TestTime.seconds(7)
        let action = breaker.record(.rateLimited(retryAfterNanos: TestTime.seconds(7)), now: t0)
        #expect(action == .transition(.init(from: .closed, to: .rateLimited(until: until), reason: .rateLimited)))
        #expect(breaker.availability(now: until - 1) == .unavailable(until: until))
        #expect(breaker.admit(now: until - 1) == .rejected(retryAtNanos: until))
        #expect(breaker.retryAtNanos == until)
        #expect(breaker.openings == 0)
        #expect(breaker.availability(now: until) == .available)
        #expect(breaker.admit(now: until) == .allowed)
        #expect(breaker.state == .closed)
    }

    @Test("many 429s never open the breaker")
    func manyRateLimits() {
        var breaker = Breaker()
        var now = t0
        for _ in 0..<100 {
            _ = breaker.record(.rateLimited(retryAfterNanos: TestTime.seconds(1)), now: now)
            now += TestTime.seconds(2)
        }
        #expect(breaker.openings == 0)
        #expect(breaker.availability(now: now) == .available)
    }

    @Test("without Retry-After 5 s; a huge Retry-After is capped at 300 s")
    func rateLimitDurations() {
        var plain = Breaker()
        _ = plain.record(.rateLimited(retryAfterNanos: nil), now: t0)
        #expect(plain.state == .rateLimited(until: t0 + TestTime.seconds(5)))

        var huge = Breaker()
        _ = huge.record(.rateLimited(retryAfterNanos: TestTime.seconds(86_400)), now: t0)
        #expect(huge.state == .rateLimited(until: t0 + TestTime.seconds(300)))
    }

    @Test("a later 429 may lengthen the limit, never shorten it; other outcomes are ignored meanwhile")
    func rateLimitExtends() {
        var breaker = Breaker()
        _ = breaker.record(.rateLimited(retryAfterNanos: TestTime.seconds(10)), now: t0)
        #expect(breaker.record(.rateLimited(retryAfterNanos: TestTime.seconds(1)), now: t0 + 1) == .none)
        let longer = breaker.record(.rateLimited(retryAfterNanos: TestTime.seconds(20)), now: t0 + 1)
        #expect(longer.transition?.to == .rateLimited(until: t0 + 1 + TestTime.seconds(20)))
        for _ in 0..<10 {
            #expect(breaker.record(.failure, now: t0 + 2) == .none)
            #expect(breaker.record(.probeFailure, now: t0 + 2) == .none)
            #expect(breaker.record(.probeSuccess, now: t0 + 2) == .none)
        }
        #expect(breaker.state == .rateLimited(until: t0 + 1 + TestTime.seconds(20)))
    }

    @Test("the end of a rate limit is reported by the next outcome that notices it")
    func rateLimitEnds() {
        var breaker = Breaker()
        _ = breaker.record(.rateLimited(retryAfterNanos: TestTime.seconds(1)), now: t0)
        let action = breaker.record(.success(ttftNanos: 1, p90Nanos: nil), now: t0 + TestTime.seconds(1))
        #expect(
            action
                == .transition(
                    .init(from: .rateLimited(until: t0 + TestTime.seconds(1)), to: .closed, reason: .rateLimitEnded)))
        // Failures recorded after the limit count again (the streak before the 429 was kept).
        var streak = Breaker()
        for _ in 0..<4 { _ = streak.record(.failure, now: t0) }
        _ = streak.record(.rateLimited(retryAfterNanos: TestTime.seconds(1)), now: t0)
        let opened = streak.record(.failure, now: t0 + TestTime.seconds(2))
        #expect(opened.transition?.from == .rateLimited(until: t0 + TestTime.seconds(1)))
        #expect(opened.transition?.reason == .consecutiveFailures)
    }

    @Test("a 429 on a half-open trial rate-limits, then another trial is due")
    func rateLimitedTrial() {
        var breaker = Breaker()
        for _ in 0..<5 { _ = breaker.record(.failure, now: t0) }
        let until = t0 + TestTime.seconds(10)
        _ = breaker.admit(now: until)
        _ = breaker.record(.rateLimited(retryAfterNanos: TestTime.seconds(3)), now: until)
        #expect(breaker.state == .rateLimited(until: until + TestTime.seconds(3)))
        #expect(breaker.availability(now: until + TestTime.seconds(3)) == .trialAvailable)
        #expect(breaker.admit(now: until + TestTime.seconds(3)) == .trial)
        #expect(breaker.state == .halfOpen(trialInFlight: true))
    }

    @Test("401/403 opens it for 5 minutes from any state and asks for a loud log")
    func credentials() {
        let until = t0 + TestTime.seconds(300)
        let open = Breaker.State.open(until: until, reason: .credentialsRejected)

        var closed = Breaker()
        #expect(
            closed.record(.credentialsRejected, now: t0)
                == .credentialsRejected(.init(from: .closed, to: open, reason: .credentialsRejected)))
        #expect(closed.openings == 0)
        #expect(closed.admit(now: until - 1) == .rejected(retryAtNanos: until))

        var limited = Breaker()
        _ = limited.record(.rateLimited(retryAfterNanos: nil), now: t0)
        #expect(limited.record(.credentialsRejected, now: t0).transition?.to == open)

        var halfOpen = Breaker()
        for _ in 0..<5 { _ = halfOpen.record(.failure, now: t0 - TestTime.seconds(10)) }
        _ = halfOpen.admit(now: t0)
        let action = halfOpen.record(.credentialsRejected, now: t0)
        #expect(action.transition?.from == .halfOpen(trialInFlight: true))
        #expect(halfOpen.state == open)
        #expect(halfOpen.openings == 1)

        // Already open: a late 401 restarts the five minutes and is loud again.
        var again = closed
        #expect(
            again.record(.credentialsRejected, now: t0 + 1).transition?.to
                == .open(until: until + 1, reason: .credentialsRejected))
    }

    @Test("open durations saturate instead of overflowing")
    func saturation() {
        var breaker = Breaker(configuration: .init(baseOpenDuration: .max / 2, maxOpenDuration: .max))
        for _ in 0..<5 { _ = breaker.record(.failure, now: .max - 10) }
        #expect(breaker.state == .open(until: .max, reason: .consecutiveFailures))
        #expect(breaker.admit(now: .max - 1) == .rejected(retryAtNanos: .max))
    }

    @Test("every reason has a stable name for metrics")
    func reasonNames() {
        #expect(
            Breaker.Reason.allCases.map(\.rawValue) == [
                "consecutiveFailures", "failureRate", "slowCallRate", "credentialsRejected", "rateLimited",
                "rateLimitEnded", "trialSucceeded", "trialFailed", "probeSucceeded", "probeFailed", "misconfigured",
            ])
    }
}
