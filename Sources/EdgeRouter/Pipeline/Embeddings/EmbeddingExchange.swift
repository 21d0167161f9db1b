import AsyncHTTPClient
import EdgeWire
import Logging
import NIOCore
import RoutingCore

/// Runs one embeddings request along its plan, as chat's exchange does but one attempt at a time (no hedging:
/// an embedding call is short and whole): the next admitted candidate, never the same deployment twice, failing
/// over on retryable errors (connection, 408/409/429/5xx, timeouts, malformed answers) up to `max_attempts` within
/// the request's deadline. A rejection of the request (400/413/422) is tried once more elsewhere, as for chat.
///
/// What it learns goes where chat's does: each answer's total latency is the deployment's live sample (embedding
/// deployments are their own deployments, so their estimates never mix with chat's), each failure goes to the
/// breaker, the attempt-failure metrics and the log.
struct EmbeddingExchange {
    let plan: RoutePlan
    let maxAttempts: Int
    let deadline: ContinuousClock.Instant
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let clients: UpstreamClients
    let maxResponseBytes: Int
    let logger: Logger
    let logContext: ExchangeLogContext

    /// How the request ended.
    struct Result {
        /// The answering deployment, its vectors, the call's latency and why it was chosen; nil on failure.
        var answer: (candidate: RouteCandidate, result: EmbeddingResult, latency: Duration, reason: RouteReason)?
        /// Attempts made, the answering one included.
        var attempts = 0
        /// Every failed attempt, in order, for the record.
        var failures: [AttemptFailure] = []
        /// The error for the client when nothing answered.
        var error: EdgeRouterError?
    }

    /// Tries the plan's candidates with each one's body from `bodies` (by deployment key).
    func run(bodies: [String: ByteBuffer], expected: Int) async -> Result {
        var result = Result()
        var queue = plan.candidates
        var retryable: [AttemptFailure] = []
        var rejections: [(RouteCandidate, AttemptFailure)] = []
        while result.attempts < maxAttempts {
            guard ContinuousClock.now < deadline else {
                result.error = Self.deadlineExceeded(retryable)
                return result
            }
            guard let candidate = Self.nextAdmitted(&queue) else { break }
            guard let client = clients.client(for: candidate.deployment.provider) else { continue }
            result.attempts += 1
            let call = EmbeddingCall(
                deployment: candidate.deployment, client: client, errorText: clients.errorText, maxResponseBytes: maxResponseBytes)
            let inFlight = InFlightToken(candidate.runtime)
            let outcome = await call.run(body: bodies[candidate.deployment.key] ?? ByteBuffer(), expected: expected, deadline: deadline)
            withExtendedLifetime(inFlight) {}
            if Task.isCancelled {
                // The client left: no outcome for anyone; a trial is given back to its breaker.
                if candidate.isTrial { engine.releaseTrial(candidate) }
                result.error = EdgeRouterError(.deadlineExceeded, "The request was cancelled.")
                return result
            }
            switch outcome {
            case .answered(let vectors, let latency):
                engine.noteFirstToken(candidate)
                engine.recordSuccess(candidate, ttft: latency)
                for (rejecting, failure) in rejections where failure.status == 400 || failure.status == 422 {
                    engine.recordRejectedServedElsewhere(rejecting, failure)
                }
                let reason: RouteReason = result.attempts == 1 ? plan.reason : .failover
                result.answer = (candidate, vectors, latency, reason)
                return result
            case .failed(let failure):
                record(failure, of: candidate)
                result.failures.append(failure)
                if failure.isRetryable {
                    retryable.append(failure)
                } else {
                    rejections.append((candidate, failure))
                    // One more deployment for a rejected request, and only when a single one rejected it so far.
                    if rejections.count > 1 {
                        result.error = Self.rejected(failure)
                        return result
                    }
                }
            case .deadlineReached:
                if candidate.isTrial { engine.releaseTrial(candidate) }
                result.error = Self.deadlineExceeded(retryable)
                return result
            case .tooLarge:
                if candidate.isTrial { engine.releaseTrial(candidate) }
                result.error = EdgeRouterError(
                    .responseTooLarge, "The answer grew past this router's limit of \(maxResponseBytes) bytes; send fewer inputs.")
                return result
            }
        }
        if let rejection = rejections.last {
            result.error = Self.rejected(rejection.1)
        } else {
            result.error = Self.exhausted(retryable, planned: plan.candidates.count)
        }
        return result
    }

    /// An attempt's failure: the breaker's to judge, a metric and a log line, exactly as for chat.
    private func record(_ failure: AttemptFailure, of candidate: RouteCandidate) {
        engine.recordFailure(candidate, failure)
        metrics.recordAttemptFailure(deployment: candidate.deployment, cause: failure.cause)
        if failure.isRetryable { metrics.status.recordFailover(from: candidate.deployment) }
        logger.info(
            "upstream attempt failed",
            metadata: logContext.metadata([
                "deployment": "\(candidate.deployment.label)", "cause": "\(failure.cause.rawValue)", "detail": "\(failure.internalDetail)",
            ]))
    }

    /// The next candidate whose breaker lets the request through; a half-open one's trial is claimed here, right
    /// before the call.
    private static func nextAdmitted(_ queue: inout RouteCandidates) -> RouteCandidate? {
        while let candidate = queue.popFirst() {
            guard candidate.isTrial else { return candidate }
            switch candidate.runtime.admit(now: MonotonicTime.now()) {
            case .allowed, .trial: return candidate
            case .rejected: continue
            }
        }
        return nil
    }

    private static func exhausted(_ failures: [AttemptFailure], planned: Int) -> EdgeRouterError {
        guard !failures.isEmpty else {
            let reason = planned == 0 ? "no deployment can serve this request" : "no deployment was available before the request deadline"
            return EdgeRouterError(.unavailable, "No provider could be tried: \(reason).")
        }
        let allRateLimited = failures.allSatisfy { $0.status == 429 }
        return EdgeRouterError(allRateLimited ? .unavailable : .allAttemptsFailed, listing(failures))
    }

    private static func listing(_ failures: [AttemptFailure]) -> String {
        let list = failures.map { "\($0.deployment): \($0.detail)" }.joined(separator: "; ")
        return failures.count == 1 ? "The attempt failed: \(list)" : "All \(failures.count) attempts failed: \(list)"
    }

    private static func deadlineExceeded(_ failures: [AttemptFailure]) -> EdgeRouterError {
        let before = failures.isEmpty ? "" : " \(listing(failures))"
        return EdgeRouterError(.deadlineExceeded, "No provider answered within the request's deadline.\(before)")
    }

    private static func rejected(_ failure: AttemptFailure) -> EdgeRouterError {
        EdgeRouterError(.upstreamRejected, "The provider rejected the request: \(failure.detail)", status: failure.status)
    }
}
