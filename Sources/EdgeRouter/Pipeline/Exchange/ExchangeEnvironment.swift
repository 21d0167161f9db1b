import EdgeWire
import Logging
import NIOCore
import RoutingCore

/// What an exchange and its races work with, and the one place where an attempt's outcome is recorded (routing
/// engine, metrics, log). Handed down by value from the exchange to each race, so that a race never calls back
/// into its exchange: it sends calls and records outcomes here, and reports only its result.
struct ExchangeEnvironment {
    /// The request in the client's dialect; each attempt's body is made from it for the deployment.
    let request: InboundChat
    let clients: UpstreamClients
    let engine: RoutingEngine
    let metrics: RouterMetrics
    /// The client connection's event loop: every call, timer and callback of the exchange is on it.
    let eventLoop: any EventLoop
    let logger: Logger
    let logContext: ExchangeLogContext

    /// A call to `candidate`'s deployment on this event loop, not yet sent; its first token (or failure) goes to
    /// `onFirstToken`. The call counts as in flight at the deployment until it is dropped.
    func makeCall(to candidate: RouteCandidate, onFirstToken: @escaping (UpstreamCall.FirstToken) -> Void) -> UpstreamCall {
        UpstreamCall(
            deployment: candidate.deployment, eventLoop: eventLoop, inFlight: InFlightToken(candidate.runtime),
            onFirstToken: onFirstToken)
    }

    /// Sends a call made by ``makeCall(to:onFirstToken:)``, with the request in its deployment's terms. A call
    /// that cannot be sent reports its failure to `onFirstToken` before this returns.
    func send(_ call: UpstreamCall) {
        call.send(
            with: clients, body: request.upstreamBody(for: call.deployment), passedOn: request.passedOn(to: call.deployment),
            logger: logger)
    }

    /// A first token arrived. A hedge that won is not a TTFT sample: only hedges that happened to be fast get to
    /// win (slow ones are cancelled unmeasured), so their times would make the hedge target look faster than it is.
    func recordFirstToken(_ candidate: RouteCandidate, _ timing: UpstreamCall.FirstTokenTiming, asHedge: Bool) {
        engine.noteFirstToken(candidate)
        if !asHedge { engine.recordSuccess(candidate, ttft: timing.timeToFirstToken) }
        metrics.recordFirstToken(deployment: candidate.deployment, ttfb: timing.timeToFirstByte, ttft: timing.timeToFirstToken)
    }

    /// Records an attempt's failure: the breaker's to judge (a rejection of the request is not, see
    /// ``RoutingEngine/recordFailure(_:_:)``), a metric and a log line.
    func recordFailure(_ failure: AttemptFailure, of candidate: RouteCandidate) {
        engine.recordFailure(candidate, failure)
        metrics.recordAttemptFailure(deployment: candidate.deployment, cause: failure.cause)
        if failure.isRetryable { metrics.status.recordFailover(from: candidate.deployment) }
        logger.info(
            "upstream attempt failed",
            metadata: logContext.metadata([
                "deployment": "\(candidate.deployment.label)", "cause": "\(failure.cause.rawValue)", "detail": "\(failure.internalDetail)",
            ]))
    }

    /// A hedge of `model`'s request was started, won or cancelled (`outcome`).
    func recordHedge(model: String, _ outcome: String) {
        metrics.routing.recordHedge(model: model, outcome)
        if outcome == "started" { metrics.status.recordHedge(model: model) }
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
