import AsyncHTTPClient
import Logging
import NIOCore
import RoutingCore

/// Runs one chat request along its plan: tries deployments, best first, until one produces a first content token
/// (failing over on retryable errors and hedging a slow first attempt, invisibly to the client), then passes the
/// winner's stream on.
///
/// An exchange lives on the client connection's event loop, like its races and calls: it is driven by their
/// callbacks and tells its ``ChatExchangeObserver`` what happened (started, or failed before the first token; then
/// each step of the stream). No task runs for it. ``stop()`` (the client left) cancels whatever is running.
final class ChatExchange: UpstreamCallReader {  // the winner's call delivers its stream by callback: no task per request
    let plan: RoutePlan
    let maxAttempts: Int
    /// Bound on the whole request until the first token, across attempts.
    let deadline: ContinuousClock.Instant
    private let environment: ExchangeEnvironment

    private weak var observer: (any ChatExchangeObserver)?
    private var queue: RouteCandidates
    private var attempts = 0
    private var failures: [AttemptFailure] = []
    /// Attempts that rejected the request as invalid, until another deployment serves it (or none does).
    private var rejections: [(RouteCandidate, AttemptFailure)] = []
    private var retriedRejection = false
    private var race: FirstTokenRace?
    /// Every failed attempt, in order, for the request's record.
    private(set) var failedAttempts: [AttemptFailure] = []
    /// Whether a hedge was sent.
    private(set) var hedged = false
    private var winner: (candidate: RouteCandidate, call: UpstreamCall)?
    private var isStopped = false

    init(plan: RoutePlan, maxAttempts: Int, deadline: ContinuousClock.Instant, environment: ExchangeEnvironment) {
        self.plan = plan
        self.maxAttempts = maxAttempts
        self.deadline = deadline
        self.environment = environment
        self.queue = plan.candidates
    }

    /// Starts the first attempt; `observer` hears how it goes.
    func start(observer: any ChatExchangeObserver) {
        self.observer = observer
        nextRound()
    }

    /// Stops the exchange (the client left): the race or the stream is cancelled and the observer hears nothing
    /// more.
    func stop() {
        guard !isStopped else { return }
        isStopped = true
        race?.cancel()
        race = nil
        winner?.call.cancel()
    }

    /// Lets the winner's stream go on once the observer caught up (see ``ChatExchangeObserver/isBackedUp``).
    func resume() {
        winner?.call.resume()
    }

    /// Ends the exchange once the response is complete: the winner's call is let go (a finished stream keeps its
    /// connection for the pool).
    func finish() {
        isStopped = true
        winner?.call.cancel()
    }

    /// Starts a race with the next admitted candidate (with a backup on another provider, hedged on the first
    /// attempt), or reports that none is left.
    private func nextRound() {
        guard !isStopped else { return }
        guard ContinuousClock.now < deadline else {
            observer?.exchange(self, failedToStart: Self.deadlineExceeded(failures))
            return
        }
        guard attempts < maxAttempts, let primary = nextAdmitted() else {
            observer?.exchange(self, failedToStart: rejections.last.map(Self.rejected) ?? Self.exhausted(failures, planned: plan.candidates.count))
            return
        }
        attempts += 1
        // The backup is the next-best deployment of another provider: hedged after the hedge delay on the first
        // attempt, and on any attempt started at once if the primary goes past its hang threshold.
        var backup: RouteCandidate?
        if attempts < maxAttempts,
            let index = queue.firstIndex(where: { !$0.isTrial && $0.deployment.provider.id != primary.deployment.provider.id })
        {
            backup = queue[index]
            queue.remove(at: index)
        }
        let hedgeDelay = attempts == 1 && backup != nil ? environment.engine.hedgeDelay(plan, first: primary) : nil
        let race = FirstTokenRace(environment: environment, primary: primary, backup: backup) { [unowned self] result in
            self.raceEnded(result, primary: primary, backup: backup)
        }
        self.race = race
        race.run(hedgeDelay: hedgeDelay, until: deadline)
    }

    /// Judges a round. A rejection of the request (400/413/422) is retried once, on another provider: a request
    /// that another deployment serves was not the client's fault, and a deployment that keeps rejecting such
    /// requests is ejected as misconfigured. Once a winner exists every other failure is only recorded.
    private func raceEnded(_ result: FirstTokenRace.Result, primary: RouteCandidate, backup: RouteCandidate?) {
        race = nil
        if let backup, !result.hedgeStarted { queue.insert(backup, at: queue.startIndex) }
        if result.hedgeStarted {
            attempts += 1
            hedged = true
        }
        for (candidate, failure) in result.failures {
            environment.recordFailure(failure, of: candidate)
            failedAttempts.append(failure)
            if failure.isRetryable { failures.append(failure) } else { rejections.append((candidate, failure)) }
        }
        if let (candidate, call, timing) = result.winner {
            for (rejecting, failure) in rejections where Self.mayBeMisconfigured(failure) {
                environment.engine.recordRejectedServedElsewhere(rejecting, failure)
            }
            winner = (candidate, call)
            let reason: RouteReason = candidate.runtime !== primary.runtime ? .hedge : attempts == 1 ? plan.reason : .failover
            observer?.exchange(
                self,
                started: ExchangeStart(
                    candidate: candidate, reason: reason, attempts: attempts, timeToFirstByte: timing.timeToFirstByte,
                    timeToFirstToken: timing.timeToFirstToken))
            guard !isStopped else { return }
            call.attach(self)
            return
        }
        if result.deadlineReached {
            observer?.exchange(self, failedToStart: Self.deadlineExceeded(failures))
            return
        }
        if let rejection = rejections.last {
            // One more round for a rejected request, and only when a single deployment rejected it so far.
            guard rejections.count == 1, !retriedRejection else {
                observer?.exchange(self, failedToStart: Self.rejected(rejection))
                return
            }
            retriedRejection = true
        }
        nextRound()
    }

    /// The next candidate whose breaker lets this request through: a half-open one admits a single trial, which
    /// is claimed here, right before the request is sent, so a claim is never left unused.
    private func nextAdmitted() -> RouteCandidate? {
        while let candidate = queue.popFirst() {
            guard candidate.isTrial else { return candidate }
            switch candidate.runtime.admit(now: MonotonicTime.now()) {
            case .allowed, .trial: return candidate
            case .rejected: continue
            }
        }
        return nil
    }

    // MARK: The winner's stream

    /// A step of the winner's stream. A stream that breaks off, stalls past the idle timeout (the upstream
    /// client's read timeout, see ``UpstreamClients``) or reports an error is the provider's failure.
    func upstreamCall(_ call: UpstreamCall, received step: UpstreamCall.Step) {
        // Only the winner's call delivers; `winner` is not bound here, which would copy it for every frame.
        guard !isStopped, let observer, winner != nil else { return }
        switch step {
        case .frame(let frame):
            observer.exchange(self, step: .frame(frame))
        case .done:
            observer.exchange(self, step: .completed)
        case .failed(let failure) where failure.cause == .clientStalled:
            // The client stopped reading: its own doing, not the provider's (no breaker failure, no interruption).
            environment.metrics.recordClientStall()
            environment.logger.info(
                "client stopped reading; its stream is cut", metadata: environment.logContext.metadata(["detail": "\(failure.detail)"]))
            observer.exchange(self, step: .clientStalled)
        case .failed(let failure):
            guard let candidate = winner?.candidate else { return }
            environment.engine.recordFailure(candidate, failure)
            environment.metrics.recordInterruption(deployment: candidate.deployment)
            environment.logger.warning(
                "upstream stream interrupted after the first token",
                metadata: environment.logContext.metadata(["detail": "\(failure.internalDetail)"]))
            observer.exchange(self, step: .failed(EdgeRouterError(.streamInterrupted, "The provider's stream broke off: \(failure.detail)")))
        }
    }

    func upstreamCallDidFinishBuffer(_ call: UpstreamCall) {
        guard !isStopped else { return }
        observer?.exchangeShouldFlush(self)
    }

    var isBackedUp: Bool { observer?.isBackedUp ?? false }

    private static func exhausted(_ failures: [AttemptFailure], planned: Int) -> EdgeRouterError {
        guard !failures.isEmpty else {
            let reason = planned == 0 ? "no deployment can serve this request" : "no deployment was available before the request deadline"
            return EdgeRouterError(.unavailable, "No provider could be tried: \(reason).")
        }
        let allRateLimited = failures.allSatisfy { $0.status == 429 }
        return EdgeRouterError(allRateLimited ? .unavailable : .allAttemptsFailed, Self.listing(failures))
    }

    /// "The attempt failed: ..." or "All 3 attempts failed: ...", naming each attempt's deployment and reason.
    private static func listing(_ failures: [AttemptFailure]) -> String {
        let list = failures.map { "\($0.deployment): \($0.detail)" }.joined(separator: "; ")
        return failures.count == 1 ? "The attempt failed: \(list)" : "All \(failures.count) attempts failed: \(list)"
    }

    /// The request's own deadline passed before a first token: 504, whatever the attempts did until then.
    private static func deadlineExceeded(_ failures: [AttemptFailure]) -> EdgeRouterError {
        let before = failures.isEmpty ? "" : " \(listing(failures))"
        return EdgeRouterError(
            .deadlineExceeded, "No provider produced a first token within the request's deadline.\(before)")
    }

    private static func rejected(_ rejection: (RouteCandidate, AttemptFailure)) -> EdgeRouterError {
        EdgeRouterError(
            .upstreamRejected, "The provider rejected the request: \(rejection.1.detail)", status: rejection.1.status)
    }

    /// Whether a rejection can tell against the deployment: a 400 or 422 says the request is invalid *there*,
    /// which a request another deployment serves is not; a 413 is only a smaller size limit.
    private static func mayBeMisconfigured(_ failure: AttemptFailure) -> Bool {
        failure.status == 400 || failure.status == 422
    }
}
