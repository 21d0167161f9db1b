import AsyncHTTPClient
import EdgeJSON
import EdgeWire
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
final class ChatExchange: UpstreamCallReader {
    let request: OpenAIChatRequest
    let plan: RoutePlan
    let clients: UpstreamClients
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let maxAttempts: Int
    /// Bound on the whole request until the first token, across attempts.
    let deadline: ContinuousClock.Instant
    /// The client connection's event loop: everything of the exchange happens on it.
    let eventLoop: any EventLoop
    let logger: Logger
    let logContext: ExchangeLogContext

    private weak var observer: (any ChatExchangeObserver)?
    private var queue: ArraySlice<RouteCandidate>
    private var attempts = 0
    private var failures: [AttemptFailure] = []
    /// Attempts that rejected the request as invalid, until another deployment serves it (or none does).
    private var rejections: [(RouteCandidate, AttemptFailure)] = []
    private var retriedRejection = false
    private var race: FirstTokenRace?
    private var winner: (candidate: RouteCandidate, call: UpstreamCall)?
    private var isStopped = false

    init(
        request: OpenAIChatRequest, plan: RoutePlan, clients: UpstreamClients, engine: RoutingEngine,
        metrics: RouterMetrics, maxAttempts: Int, deadline: ContinuousClock.Instant, eventLoop: any EventLoop,
        logger: Logger, logContext: ExchangeLogContext
    ) {
        self.request = request
        self.plan = plan
        self.clients = clients
        self.engine = engine
        self.metrics = metrics
        self.maxAttempts = maxAttempts
        self.deadline = deadline
        self.eventLoop = eventLoop
        self.logger = logger
        self.logContext = logContext
        self.queue = plan.candidates[...]
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
        let hedgeDelay = attempts == 1 && backup != nil ? engine.hedgeDelay(plan, first: primary) : nil
        let race = FirstTokenRace(exchange: self, primary: primary, backup: backup) { [unowned self] result in
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
        if result.hedgeStarted { attempts += 1 }
        for (candidate, failure) in result.failures {
            note(failure, of: candidate)
            if failure.isRetryable { failures.append(failure) } else { rejections.append((candidate, failure)) }
        }
        if let (candidate, call, timing) = result.winner {
            for (rejecting, failure) in rejections where Self.mayBeMisconfigured(failure) {
                engine.recordRejectedServedElsewhere(rejecting, failure)
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

    /// Records an attempt's failure: the breaker's to judge (a rejection of the request is not, see
    /// ``RoutingEngine/recordFailure(_:_:)``), a metric and a log line.
    func note(_ failure: AttemptFailure, of candidate: RouteCandidate) {
        engine.recordFailure(candidate, failure)
        metrics.recordAttemptFailure(deployment: candidate.deployment, cause: failure.cause)
        logger.info(
            "upstream attempt failed",
            metadata: logContext.metadata([
                "deployment": "\(candidate.deployment.label)", "cause": "\(failure.cause.rawValue)", "detail": "\(failure.internalDetail)",
            ]))
    }

    /// A call to the candidate's deployment on the client's event loop, not yet sent; its first token (or failure)
    /// goes to `onFirstToken`.
    func makeCall(_ candidate: RouteCandidate, onFirstToken: @escaping (UpstreamCall.FirstToken) -> Void) -> UpstreamCall {
        UpstreamCall(
            deployment: candidate.deployment, eventLoop: eventLoop, inFlight: InFlightToken(candidate.runtime),
            onFirstToken: onFirstToken)
    }

    /// Sends a call made by ``makeCall(_:onFirstToken:)``.
    func send(_ call: UpstreamCall) {
        let deployment = call.deployment
        call.send(with: clients, body: request.upstreamBody(model: deployment.upstreamModel), logger: logger)
    }

    /// A first token arrived. A hedge that won is not a TTFT sample: only hedges that happened to be fast get to
    /// win (slow ones are cancelled unmeasured), so their times would make the hedge target look faster than it is.
    func succeeded(_ candidate: RouteCandidate, _ timing: UpstreamCall.FirstTokenTiming, asHedge: Bool) {
        engine.noteFirstToken(candidate)
        if !asHedge { engine.recordSuccess(candidate, ttft: timing.timeToFirstToken) }
        metrics.recordFirstToken(deployment: candidate.deployment, ttfb: timing.timeToFirstByte, ttft: timing.timeToFirstToken)
    }

    // MARK: The winner's stream

    /// A step of the winner's stream. A stream that breaks off, stalls past the idle timeout (the upstream
    /// client's read timeout, see ``UpstreamClients``) or reports an error is the provider's failure.
    func upstreamCall(_ call: UpstreamCall, received step: UpstreamCall.Step) {
        guard !isStopped, let observer, let winner else { return }
        switch step {
        case .frame(let frame):
            observer.exchange(self, step: .frame(frame))
        case .done:
            observer.exchange(self, step: .completed)
        case .failed(let failure) where failure.cause == .clientStalled:
            // The client stopped reading: its own doing, not the provider's (no breaker failure, no interruption).
            metrics.recordClientStall()
            logger.info("client stopped reading; its stream is cut", metadata: logContext.metadata(["detail": "\(failure.detail)"]))
            observer.exchange(self, step: .clientStalled)
        case .failed(let failure):
            engine.recordFailure(winner.candidate, failure)
            metrics.recordInterruption(deployment: winner.candidate.deployment)
            logger.warning(
                "upstream stream interrupted after the first token",
                metadata: logContext.metadata(["detail": "\(failure.internalDetail)"]))
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

/// Hears how a ``ChatExchange`` goes, on its event loop: either `failedToStart`, or `started` followed by steps up
/// to a terminal one (unless the exchange is stopped first).
protocol ChatExchangeObserver: AnyObject {
    /// A deployment produced its first token (or a complete empty answer): the response can start.
    func exchange(_ exchange: ChatExchange, started: ExchangeStart)
    /// No deployment could answer; the error is the client's.
    func exchange(_ exchange: ChatExchange, failedToStart error: EdgeRouterError)
    /// The next step of the winner's stream, from its first frame on.
    func exchange(_ exchange: ChatExchange, step: ExchangeStep)
    /// The steps of one buffer from the provider have been delivered: write them out.
    func exchangeShouldFlush(_ exchange: ChatExchange)
    /// Whether the client is behind; the exchange's stream then pauses until ``ChatExchange/resume()``.
    var isBackedUp: Bool { get }
}

/// What identifies a request in the exchange's log lines, turned into metadata only when a line is logged.
struct ExchangeLogContext: Sendable {
    var requestID: String
    var model: String
    var residencyRule: String?

    /// `extra` with the request's identification added.
    func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata = extra
        metadata["request_id"] = "\(requestID)"
        metadata["model"] = "\(model)"
        if let residencyRule { metadata["residency_rule"] = "\(residencyRule)" }
        return metadata
    }
}
