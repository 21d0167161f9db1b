import AsyncHTTPClient
import Logging
import NIOCore

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

    /// Starts a race with the next admitted candidate (and a hedge for the first attempt), or reports that none is
    /// left.
    private func nextRound() {
        guard !isStopped else { return }
        guard attempts < maxAttempts, ContinuousClock.now < deadline, let primary = nextAdmitted() else {
            observer?.exchange(self, failedToStart: Self.exhausted(failures, planned: plan.candidates.count))
            return
        }
        attempts += 1
        // A hedge goes to the next-best deployment of another provider, and only on the first attempt.
        var hedge: (candidate: RouteCandidate, delay: Duration)?
        if attempts == 1, attempts < maxAttempts, let delay = engine.hedgeDelay(plan, first: primary),
            let index = queue.firstIndex(where: { !$0.isTrial && $0.deployment.provider.id != primary.deployment.provider.id })
        {
            hedge = (queue[index], delay)
            queue.remove(at: index)
        }
        let firstTokenDeadline = min(ContinuousClock.now + primary.deployment.provider.timeouts.firstToken, deadline)
        let race = FirstTokenRace(exchange: self, primary: primary, hedge: hedge?.candidate) { [unowned self] result in
            self.raceEnded(result, primary: primary, hedge: hedge?.candidate)
        }
        self.race = race
        race.run(hedgeDelay: hedge?.delay, until: firstTokenDeadline)
    }

    private func raceEnded(_ result: FirstTokenRace.Result, primary: RouteCandidate, hedge: RouteCandidate?) {
        race = nil
        if let hedge, !result.hedgeStarted { queue.insert(hedge, at: queue.startIndex) }
        if result.hedgeStarted { attempts += 1 }
        for (candidate, failure) in result.failures {
            note(failure, of: candidate)
            guard failure.isRetryable else {
                result.winner?.call.cancel()
                observer?.exchange(
                    self,
                    failedToStart: EdgeRouterError(
                        .upstreamRejected, "The provider rejected the request: \(failure.detail)", status: failure.status))
                return
            }
            failures.append(failure)
        }
        guard let (candidate, call, timing) = result.winner else {
            nextRound()
            return
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

    private func note(_ failure: AttemptFailure, of candidate: RouteCandidate) {
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
        let list = failures.map { "\($0.deployment): \($0.detail)" }.joined(separator: "; ")
        let allRateLimited = failures.allSatisfy { $0.status == 429 }
        return EdgeRouterError(
            allRateLimited ? .unavailable : .allAttemptsFailed,
            "All \(failures.count) attempt\(failures.count == 1 ? "" : "s") failed: \(list)")
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
