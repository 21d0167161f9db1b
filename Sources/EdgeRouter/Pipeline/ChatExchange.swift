import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Runs one chat request along its plan: tries deployments, best first, until one produces a first content token
/// (failing over on retryable errors and hedging a slow first attempt, invisibly to the client), then streams the
/// rest.
///
/// It runs in a task of its own (started through its ``ExchangeHandle``) and reports through an `AsyncStream` of
/// ``ExchangeSignal``s, so that the client side can hold the response head until `started`, and so that a client
/// disconnect can stop it at once.
struct ChatExchange: Sendable {
    let request: OpenAIChatRequest
    let plan: RoutePlan
    let clients: UpstreamClients
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let maxAttempts: Int
    /// Bound on the whole request until the first token, across attempts.
    let deadline: ContinuousClock.Instant
    /// The client connection's event loop, where the first-token race's timers run.
    let eventLoop: any EventLoop
    let handle: ExchangeHandle
    let logger: Logger

    func run(_ output: AsyncStream<ExchangeSignal>.Continuation) async {
        defer { output.finish() }
        var failures: [AttemptFailure] = []
        var queue = plan.candidates[...]
        var attempts = 0
        while attempts < maxAttempts, let primary = nextAdmitted(&queue) {
            if Task.isCancelled { return }
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
                    output.yield(
                        .failed(EdgeRouterError(
                            .upstreamRejected, "The provider rejected the request: \(failure.detail)", status: failure.status)))
                    return
                }
                failures.append(failure)
            }
            guard let (winner, primed) = race.winner else {
                if race.cancelled { return }
                continue
            }
            let reason: RouteReason = winner.runtime !== primary.runtime ? .hedge : attempts == 1 ? plan.reason : .failover
            output.yield(
                .started(
                    ExchangeStart(
                        candidate: winner, reason: reason, attempts: attempts, frames: primed.frames,
                        timeToFirstByte: primed.timeToFirstByte, timeToFirstToken: primed.timeToFirstToken)))
            if primed.completedEarly {
                output.yield(.completed)
            } else {
                await streamRest(of: primed.stream, candidate: winner, to: output)
            }
            return
        }
        output.yield(.failed(Self.exhausted(failures, planned: plan.candidates.count)))
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
            metadata: [
                "deployment": "\(candidate.deployment.label)", "cause": "\(failure.cause.rawValue)", "detail": "\(failure.detail)",
            ])
    }

    func attempt(_ candidate: RouteCandidate) throws -> UpstreamAttempt {
        guard let client = clients.client(for: candidate.deployment.provider) else {
            throw AttemptFailure(.connection, deployment: candidate.deployment.label, detail: "no client for the provider")
        }
        return UpstreamAttempt(
            deployment: candidate.deployment, client: client,
            body: request.upstreamBody(model: candidate.deployment.upstreamModel), logger: logger)
    }

    /// A first token arrived. A hedge that won is not a TTFT sample: only hedges that happened to be fast get to
    /// win (slow ones are cancelled unmeasured), so their times would make the hedge target look faster than it is.
    func succeeded(_ candidate: RouteCandidate, _ primed: PrimedStream, asHedge: Bool) {
        if !asHedge { engine.recordSuccess(candidate, ttft: primed.timeToFirstToken) }
        metrics.recordFirstToken(deployment: candidate.deployment, ttfb: primed.timeToFirstByte, ttft: primed.timeToFirstToken)
    }

    /// After the first token: forward frames until the stream completes, breaks, or stalls past the idle timeout
    /// (the upstream client's read timeout, see ``UpstreamClients``).
    private func streamRest(
        of stream: UpstreamStream, candidate: RouteCandidate, to output: AsyncStream<ExchangeSignal>.Continuation
    ) async {
        let deployment = candidate.deployment
        do {
            while true {
                switch try await stream.next() {
                case .frame(let frame):
                    if case .error(let message, _)? = frame.events.first {
                        throw AttemptFailure(.streamError, deployment: deployment.label, detail: "the provider reported: \(message)")
                    }
                    output.yield(.frame(frame))
                case .done:
                    output.yield(.completed)
                    return
                case .closed:
                    throw AttemptFailure(.connection, deployment: deployment.label, detail: "the stream closed before it was complete")
                }
            }
        } catch {
            // A client that left cancels the task, which makes the read fail in whatever way the client library
            // reports a cancelled request: that is no fault of the provider's.
            if handle.stopReason == .clientGone || error is CancellationError { return }
            let failure = error as? AttemptFailure ?? AttemptFailure(.connection, deployment: deployment.label, detail: "\(error)")
            interrupted(failure, candidate: candidate, output: output)
        }
    }

    private func interrupted(_ failure: AttemptFailure, candidate: RouteCandidate, output: AsyncStream<ExchangeSignal>.Continuation) {
        engine.recordFailure(candidate, failure)
        metrics.recordInterruption(deployment: candidate.deployment)
        logger.warning("upstream stream interrupted after the first token", metadata: ["detail": "\(failure.detail)"])
        output.yield(.failed(EdgeRouterError(.streamInterrupted, "The provider's stream broke off: \(failure.detail)")))
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
