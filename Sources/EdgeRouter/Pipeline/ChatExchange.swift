import Logging
import NIOCore

/// Runs one chat request along its plan: tries deployments, best first, until one produces a first content token
/// (failing over on retryable errors and hedging a slow first attempt, invisibly to the client), then reads the
/// rest of the winner's stream.
///
/// It runs in the request's own task: ``start()`` until the first token, so that the client side can hold the
/// response head until then, and ``next(_:)`` for each later step, called by whatever writes the response. A client
/// disconnect stops it at once through its ``ExchangeHandle``.
struct ChatExchange: Sendable {
    let request: OpenAIChatRequest
    let plan: RoutePlan
    let clients: UpstreamClients
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let maxAttempts: Int
    /// Bound on the whole request until the first token, across attempts.
    let deadline: ContinuousClock.Instant
    /// The client connection's event loop: upstream connections are made on it (so a frame is read and written
    /// by one thread) and the first-token race's timers run on it.
    let eventLoop: any EventLoop
    let handle: ExchangeHandle
    let logger: Logger
    let logContext: ExchangeLogContext

    /// Tries deployments until one produces its first token, or none can.
    func start() async -> ExchangeVerdict {
        var failures: [AttemptFailure] = []
        var queue = plan.candidates[...]
        var attempts = 0
        while attempts < maxAttempts, let primary = nextAdmitted(&queue) {
            if Task.isCancelled || handle.stopReason != nil { return .cancelled }
            guard ContinuousClock.now < deadline else { break }
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
            let race = await FirstTokenRace(exchange: self).run(primary: primary, hedge: hedge, until: firstTokenDeadline)
            if let hedge, !race.hedgeStarted { queue.insert(hedge.candidate, at: queue.startIndex) }
            if race.hedgeStarted { attempts += 1 }
            for (candidate, failure) in race.failures {
                note(failure, of: candidate)
                guard failure.isRetryable else {
                    race.winner?.call.cancel()
                    return .failed(
                        EdgeRouterError(.upstreamRejected, "The provider rejected the request: \(failure.detail)", status: failure.status))
                }
                failures.append(failure)
            }
            guard let (winner, call, timing) = race.winner else {
                if race.cancelled { return .cancelled }
                continue
            }
            guard handle.waiting(on: .stream(call)) else {
                call.cancel()
                return .cancelled
            }
            let reason: RouteReason = winner.runtime !== primary.runtime ? .hedge : attempts == 1 ? plan.reason : .failover
            return .started(
                ExchangeStart(
                    candidate: winner, call: call, reason: reason, attempts: attempts,
                    timeToFirstByte: timing.timeToFirstByte, timeToFirstToken: timing.timeToFirstToken))
        }
        return .failed(Self.exhausted(failures, planned: plan.candidates.count))
    }

    /// The next step of the winner's stream, from its first frame on. A stream that breaks off, stalls past the
    /// idle timeout (the upstream client's read timeout, see ``UpstreamClients``) or reports an error is the
    /// provider's failure; a client that left is not.
    func next(_ start: ExchangeStart) async -> ExchangeStep {
        switch await start.call.next() {
        case .frame(let frame): return .frame(frame)
        case .done: return .completed
        case .cancelled: return .cancelled
        case .failed(let failure):
            if handle.stopReason == .clientGone { return .cancelled }
            engine.recordFailure(start.candidate, failure)
            metrics.recordInterruption(deployment: start.deployment)
            logger.warning(
                "upstream stream interrupted after the first token", metadata: logContext.metadata(["detail": "\(failure.detail)"]))
            return .failed(EdgeRouterError(.streamInterrupted, "The provider's stream broke off: \(failure.detail)"))
        }
    }

    /// The next candidate whose breaker lets this request through: a half-open one admits a single trial, which
    /// is claimed here, right before the request is sent, so a claim is never left unused.
    private func nextAdmitted(_ queue: inout ArraySlice<RouteCandidate>) -> RouteCandidate? {
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
                "deployment": "\(candidate.deployment.label)", "cause": "\(failure.cause.rawValue)", "detail": "\(failure.detail)",
            ]))
    }

    /// Starts a call to the candidate's deployment on the client's event loop; its first token (or failure) goes to
    /// `onFirstToken`.
    func call(_ candidate: RouteCandidate, onFirstToken: @escaping @Sendable (UpstreamCall.FirstToken) -> Void) -> UpstreamCall {
        let deployment = candidate.deployment
        let call = UpstreamCall(deployment: deployment, inFlight: InFlightToken(candidate.runtime), onFirstToken: onFirstToken)
        guard let client = clients.client(for: deployment.provider) else {
            call.fail(AttemptFailure(.connection, deployment: deployment.label, detail: "no client for the provider"), task: nil)
            return call
        }
        call.send(with: client, body: request.upstreamBody(model: deployment.upstreamModel), on: eventLoop, logger: logger)
        return call
    }

    /// A first token arrived. A hedge that won is not a TTFT sample: only hedges that happened to be fast get to
    /// win (slow ones are cancelled unmeasured), so their times would make the hedge target look faster than it is.
    func succeeded(_ candidate: RouteCandidate, _ timing: UpstreamCall.FirstTokenTiming, asHedge: Bool) {
        if !asHedge { engine.recordSuccess(candidate, ttft: timing.timeToFirstToken) }
        metrics.recordFirstToken(deployment: candidate.deployment, ttfb: timing.timeToFirstByte, ttft: timing.timeToFirstToken)
    }

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
