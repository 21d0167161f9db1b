import AsyncHTTPClient
import Foundation
import Logging
import Synchronization

/// Runs one chat request against the deployments of its plan: tries them in turn until one produces a first
/// content token (failing over on retryable errors, invisibly to the client), then streams the rest.
///
/// It runs in a task of its own and reports through an `AsyncStream` of ``ExchangeSignal``s, so that the client
/// side can hold the response head until `started`, and so that a client disconnect can cancel it at once.
struct ChatExchange: Sendable {
    let request: OpenAIChatRequest
    let plan: RoutePlan
    let clients: UpstreamClients
    let policy: any RoutingPolicy
    let metrics: RouterMetrics
    let maxAttempts: Int
    /// Bound on the whole request until the first token, across attempts.
    let deadline: ContinuousClock.Instant
    let logger: Logger

    func run(_ output: AsyncStream<ExchangeSignal>.Continuation) async {
        defer { output.finish() }
        var failures: [AttemptFailure] = []
        for (index, deployment) in plan.candidates.prefix(maxAttempts).enumerated() {
            if Task.isCancelled { return }
            guard ContinuousClock.now < deadline else { break }
            guard let client = clients.client(for: deployment.provider) else { continue }
            let body: Data
            do {
                body = try request.upstreamBody(model: deployment.upstreamModel)
            } catch {
                output.yield(.failed(error))
                return
            }
            let attempt = UpstreamAttempt(deployment: deployment, client: client, body: body, logger: logger)
            let firstTokenDeadline = min(ContinuousClock.now + deployment.provider.timeouts.firstToken, deadline)
            let outcome = await Self.race(attempt, until: firstTokenDeadline)
            switch outcome {
            case .primed(let primed):
                policy.record(
                    AttemptReport(
                        deployment: deployment, timeToFirstByte: primed.timeToFirstByte,
                        timeToFirstToken: primed.timeToFirstToken, failure: nil))
                metrics.recordFirstToken(deployment: deployment, ttfb: primed.timeToFirstByte, ttft: primed.timeToFirstToken)
                let start = ExchangeStart(
                    deployment: deployment, reason: index == 0 ? plan.reason : .failover, attempts: index + 1,
                    frames: primed.frames, timeToFirstByte: primed.timeToFirstByte, timeToFirstToken: primed.timeToFirstToken)
                output.yield(.started(start))
                if primed.completedEarly {
                    output.yield(.completed)
                } else {
                    await streamRest(of: primed.stream, deployment: deployment, to: output)
                }
                return
            case .failed(let failure):
                policy.record(AttemptReport(deployment: deployment, failure: failure))
                metrics.recordAttemptFailure(deployment: deployment, cause: failure.cause)
                logger.info(
                    "upstream attempt failed",
                    metadata: ["deployment": "\(deployment.label)", "cause": "\(failure.cause.rawValue)", "detail": "\(failure.detail)"])
                if failure.cause == .credentials {
                    logger.error(
                        "provider rejected our credentials: check its api_key",
                        metadata: ["provider": "\(deployment.provider.id)", "status": "\(failure.status ?? 0)"])
                }
                guard failure.isRetryable else {
                    output.yield(
                        .failed(EdgeRouterError(.upstreamRejected, "The provider rejected the request: \(failure.detail)",
                            status: failure.status)))
                    return
                }
                failures.append(failure)
            case .cancelled:
                return
            }
        }
        output.yield(.failed(Self.exhausted(failures, planned: plan.candidates.count)))
    }

    /// After the first token: forward frames until the stream completes, breaks, or stalls past the idle timeout.
    private func streamRest(
        of stream: UpstreamStream, deployment: Deployment, to output: AsyncStream<ExchangeSignal>.Continuation
    ) async {
        let idle = deployment.provider.timeouts.idle
        do {
            try await IdleWatchdog.run(timeout: idle) { watchdog in
                while true {
                    let step = try await stream.next()
                    watchdog.progress()
                    switch step {
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
            }
        } catch is CancellationError {
            return
        } catch let failure as AttemptFailure {
            interrupted(failure, deployment: deployment, output: output)
        } catch is IdleWatchdog.Expired {
            let failure = AttemptFailure(
                .connection, deployment: deployment.label, detail: "no data for \(Int(idle.milliseconds)) ms")
            interrupted(failure, deployment: deployment, output: output)
        } catch {
            interrupted(
                AttemptFailure(.connection, deployment: deployment.label, detail: "\(error)"), deployment: deployment,
                output: output)
        }
    }

    private func interrupted(
        _ failure: AttemptFailure, deployment: Deployment, output: AsyncStream<ExchangeSignal>.Continuation
    ) {
        metrics.recordInterruption(deployment: deployment)
        logger.warning("upstream stream interrupted after the first token", metadata: ["detail": "\(failure.detail)"])
        output.yield(.failed(EdgeRouterError(.streamInterrupted, "The provider's stream broke off: \(failure.detail)")))
    }

    private enum RaceOutcome: Sendable {
        case primed(PrimedStream)
        case failed(AttemptFailure)
        case cancelled
    }

    /// Runs the attempt against its first-token deadline; the loser is cancelled (which closes its connection).
    private static func race(_ attempt: UpstreamAttempt, until deadline: ContinuousClock.Instant) async -> RaceOutcome {
        await withTaskGroup(of: RaceOutcome?.self) { group in
            group.addTask {
                do {
                    return .primed(try await attempt.prime())
                } catch let failure as AttemptFailure {
                    return .failed(failure)
                } catch {
                    return Task.isCancelled ? nil : .failed(
                        AttemptFailure(.connection, deployment: attempt.deployment.label, detail: "\(error)"))
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(until: deadline, clock: .continuous)
                } catch {
                    return nil
                }
                let millis = Int((deadline - ContinuousClock.now + attempt.deployment.provider.timeouts.firstToken).milliseconds)
                return .failed(
                    AttemptFailure(
                        .firstTokenTimeout, deployment: attempt.deployment.label,
                        detail: "no first token within \(max(millis, 0)) ms"))
            }
            defer { group.cancelAll() }
            while let result = await group.next() {
                if let result { return result }
                if Task.isCancelled { return .cancelled }
            }
            return .cancelled
        }
    }

    private static func exhausted(_ failures: [AttemptFailure], planned: Int) -> EdgeRouterError {
        guard !failures.isEmpty else {
            let reason = planned == 0 ? "no deployment can serve this request" : "the request deadline passed before any attempt"
            return EdgeRouterError(.unavailable, "No provider could be tried: \(reason).")
        }
        let list = failures.map { "\($0.deployment): \($0.detail)" }.joined(separator: "; ")
        let allRateLimited = failures.allSatisfy { $0.status == 429 }
        return EdgeRouterError(
            allRateLimited ? .unavailable : .allAttemptsFailed,
            "All \(failures.count) attempt\(failures.count == 1 ? "" : "s") failed: \(list)")
    }
}
