import NIOCore
import RoutingCore

/// One round of attempts up to a first token: the primary and, when the round has one, a backup on another
/// provider, started next to the primary (a hedge) after the hedge delay, or at once when the primary goes past
/// its hang threshold (see ``HangDetection``). The first content token wins; the other call is cancelled at once
/// (which closes its connection).
///
/// What each attempt's end means is decided here, because only the race knows why a call stopped:
/// - a call's own provider first-token timeout, or its failure, is the provider's failure;
/// - a call that passes its hang threshold makes its deployment suspect; with a backup it is hedged (within the
///   hedge budget) or, without budget, failed over as presumed hung (a provider failure);
/// - a call that loses to the other's first token is no success: a loser that had passed its hang threshold is a
///   provider failure (it gave no token within twice its p99), any other loser only a lower bound of its TTFT;
/// - the request's own deadline ends the race as nobody's failure and no TTFT sample: it is the client's limit.
///
/// Everything happens on the client connection's event loop: the calls report their first token (or failure)
/// there, and the race's deadlines (the request's, the hedge's, each attempt's first-token timeout and hang
/// threshold) share one NIO timer there, armed for the earliest (``RaceDeadlines``): one scheduled task per race
/// rather than one per deadline, most of which would be cancelled unfired. A race costs no task and no lock; it
/// ends once, by calling `onEnd`, unless it is cancelled first. It sends calls and records outcomes through its
/// ``ExchangeEnvironment`` and knows nothing of its exchange: `onEnd` (a callback, because the race ends on a
/// call's or a timer's callback) is the only way back.
final class FirstTokenRace {
    struct Result {
        var winner: (candidate: RouteCandidate, call: UpstreamCall, timing: UpstreamCall.FirstTokenTiming)?
        /// Provider failures of this round, in the order they happened.
        var failures: [(RouteCandidate, AttemptFailure)] = []
        /// Whether the backup was started next to the primary.
        var hedgeStarted = false
        /// The request's own deadline passed first: not a failure of any provider.
        var deadlineReached = false
    }

    /// One attempt of the race.
    private struct Attempt {
        let candidate: RouteCandidate
        var call: UpstreamCall?
        var isRunning = false
        /// Whether it went past its hang threshold without a first token.
        var isSuspect = false
    }

    private let environment: ExchangeEnvironment
    private var attempts: [Attempt]
    private let onEnd: (Result) -> Void
    private var running = 0
    private var result = Result()
    private var isOver = false
    private var deadlines = RaceDeadlines()
    /// The one timer, armed for the earliest of ``deadlines``, and when.
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?

    init(
        environment: ExchangeEnvironment, primary: RouteCandidate, backup: RouteCandidate?,
        onEnd: @escaping (Result) -> Void
    ) {
        self.environment = environment
        self.attempts = [Attempt(candidate: primary)] + (backup.map { [Attempt(candidate: $0)] } ?? [])
        self.onEnd = onEnd
    }

    private var eventLoop: NIOIsolatedEventLoop {
        environment.eventLoop.assumeIsolatedUnsafeUnchecked()  // the race runs on this loop
    }

    /// Starts the primary, and arms the request's deadline and the hedge's delay (if there is a backup and the
    /// round hedges).
    func run(hedgeDelay: Duration?, until deadline: ContinuousClock.Instant) {
        start(0)
        // The primary may have failed at once (no usable client): then the race is already over.
        guard !isOver else { return }
        let now = NIODeadline.now()
        deadlines.add(.requestDeadline, at: now + Self.timeAmount(deadline - ContinuousClock.now))
        if let hedgeDelay, attempts.count > 1 { deadlines.add(.hedge, at: now + Self.timeAmount(hedgeDelay)) }
        armTimer()
    }

    /// Arms the race's timer for its earliest deadline, unless it is armed for that moment already.
    private func armTimer() {
        guard !isOver, let next = deadlines.earliest else { return }
        if let timer {
            guard timer.at != next else { return }
            timer.task.cancel()
        }
        timer = (eventLoop.scheduleTask(deadline: next) { [weak self] in self?.timerFired() }, next)
    }

    /// The timer fired: every deadline that has passed is handled, earliest first (a handler may add deadlines, a
    /// started hedge's), then the timer is armed for the next.
    private func timerFired() {
        timer = nil
        let now = NIODeadline.now()
        while !isOver, let event = deadlines.takeDue(by: now) {
            switch event {
            case .requestDeadline: deadlineReached()
            case .hedge: hedgeDue()
            case .firstToken(let index): providerTimedOut(index)
            case .hangThreshold(let index, let threshold): hangThresholdPassed(index, threshold)
            }
        }
        armTimer()
    }

    /// Stops the race without ending it (the client left): every call is cancelled, nothing is recorded and
    /// `onEnd` is not called.
    func cancel() {
        guard !isOver else { return }
        isOver = true
        stopTimer()
        releaseTrials()
        for attempt in attempts { attempt.call?.cancel() }
    }

    /// A running half-open trial that ends for the client's sake reports no outcome: it is given back to its
    /// breaker, which would otherwise wait `trialTimeout` before letting another trial go.
    private func releaseTrials() {
        for attempt in attempts where attempt.isRunning && attempt.candidate.isTrial {
            environment.engine.releaseTrial(attempt.candidate)
        }
    }

    private func start(_ index: Int) {
        let candidate = attempts[index].candidate
        let firstTokenTimeout = candidate.deployment.provider.timeouts.firstToken
        running += 1
        attempts[index].isRunning = true
        let call = environment.makeCall(to: candidate) { [weak self] outcome in self?.firstToken(index, outcome) }
        attempts[index].call = call
        // The provider's own first-token timeout, per attempt: the hedge's provider may allow longer.
        let now = NIODeadline.now()
        deadlines.add(.firstToken(index), at: now + Self.timeAmount(firstTokenTimeout))
        if let threshold = environment.engine.hangThreshold(candidate), threshold < firstTokenTimeout {
            deadlines.add(.hangThreshold(index, threshold), at: now + Self.timeAmount(threshold))
        }
        armTimer()
        environment.send(call)
    }

    private func firstToken(_ index: Int, _ outcome: UpstreamCall.FirstToken) {
        guard !isOver, attempts[index].isRunning else { return }
        switch outcome {
        case .arrived(let timing):
            environment.recordFirstToken(attempts[index].candidate, timing, asHedge: index == 1)
            for loser in attempts.indices where loser != index && attempts[loser].isRunning {
                recordLoser(loser)
            }
            if let call = attempts[index].call { result.winner = (attempts[index].candidate, call, timing) }
            if result.hedgeStarted {
                environment.recordHedge(model: attempts[0].candidate.deployment.modelName, index == 1 ? "won" : "cancelled")
            }
            end()
        case .failed(let failure):
            // Whatever the failure, even a rejection of the request, the other attempt may still answer: the race
            // goes on, and the exchange judges the failures once it is over.
            fail(index, failure)
        }
    }

    /// An attempt that lost to the other's first token. It did not succeed, so the breaker hears no success; one
    /// that had passed its hang threshold gave no token within twice its p99, which is a failure (the adaptive
    /// first-token timeout that hedging would otherwise hide from the breaker). A primary that lost otherwise only
    /// tells that its TTFT exceeds the time it ran, at least the hedge delay: that lower bound (a right-censored
    /// sample, taken at its bound) goes to the estimator only, so the primary's slow answers are not unseen. A
    /// hedge that lost ran for as little as a few milliseconds: its bound says nothing and is not recorded.
    private func recordLoser(_ index: Int) {
        let attempt = attempts[index]
        guard let call = attempt.call else { return }
        let waited = ContinuousClock.now - call.started
        if attempt.isSuspect {
            environment.recordFailure(Self.presumedHung(attempt.candidate, waited: waited), of: attempt.candidate)
        } else if index == 0 {
            environment.engine.recordLowerBound(attempt.candidate, ttft: waited)
        }
    }

    private func fail(_ index: Int, _ failure: AttemptFailure) {
        attempts[index].isRunning = false
        running -= 1
        result.failures.append((attempts[index].candidate, failure))
        // A backup not started yet is no longer a hedge but the next attempt: the race ends, the exchange goes on.
        if running == 0 { end() }
    }

    private func hedgeDue() {
        guard !isOver, attempts[0].isRunning, attempts.count > 1, attempts[1].call == nil,
            environment.engine.hedgeBudget.tryAcquireHedge()
        else { return }
        startHedge()
    }

    private func startHedge() {
        result.hedgeStarted = true
        environment.recordHedge(model: attempts[0].candidate.deployment.modelName, "started")
        start(1)
    }

    /// An attempt went past its hang threshold with no first token: its deployment is suspect now. The primary's
    /// request moves on: a hedge if the budget allows (the primary keeps running, in case it was only slow),
    /// else a failover (the primary is given up as hung). Without a backup it waits on: there is nowhere to go.
    private func hangThresholdPassed(_ index: Int, _ threshold: Duration) {
        guard !isOver, attempts[index].isRunning else { return }
        attempts[index].isSuspect = true
        environment.engine.markSuspect(attempts[index].candidate, waited: threshold)
        guard index == 0, attempts.count > 1, attempts[1].call == nil else { return }
        if environment.engine.hedgeBudget.tryAcquireHedge() {
            startHedge()
        } else {
            attempts[0].call?.cancel()
            fail(0, Self.presumedHung(attempts[0].candidate, waited: threshold))
        }
    }

    /// The provider's own first-token timeout for one attempt: its failure.
    private func providerTimedOut(_ index: Int) {
        guard !isOver, attempts[index].isRunning else { return }
        let candidate = attempts[index].candidate
        attempts[index].call?.cancel()
        let millis = candidate.deployment.provider.timeouts.firstToken.nanoseconds / 1_000_000
        fail(
            index,
            AttemptFailure(.firstTokenTimeout, deployment: candidate.deployment.label, detail: "no first token within \(millis) ms"))
    }

    /// The request's own deadline: the client's limit, so nobody's failure and no TTFT sample.
    private func deadlineReached() {
        guard !isOver else { return }
        result.deadlineReached = true
        releaseTrials()
        end()
    }

    private func end() {
        isOver = true
        stopTimer()
        for attempt in attempts where attempt.call !== result.winner?.call { attempt.call?.cancel() }
        onEnd(result)
    }

    private func stopTimer() {
        timer?.task.cancel()
        timer = nil
    }

    private static func presumedHung(_ candidate: RouteCandidate, waited: Duration) -> AttemptFailure {
        AttemptFailure(
            .firstTokenTimeout, deployment: candidate.deployment.label,
            detail: "no first token within \(waited.nanoseconds / 1_000_000) ms, past its hang threshold (presumed hung)")
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(max(duration.nanoseconds, 0))
    }
}
