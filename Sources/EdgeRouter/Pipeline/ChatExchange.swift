import AsyncHTTPClient
import Foundation
import Logging

/// Runs one chat request along its plan: tries deployments, best first, until one produces a first content token
/// (failing over on retryable errors and hedging a slow first attempt, invisibly to the client), then streams the
/// rest.
///
/// It runs in a task of its own and reports through an `AsyncStream` of ``ExchangeSignal``s, so that the client
/// side can hold the response head until `started`, and so that a client disconnect can cancel it at once.
struct ChatExchange: Sendable {
    let request: OpenAIChatRequest
    let plan: RoutePlan
    let clients: UpstreamClients
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let maxAttempts: Int
    /// Bound on the whole request until the first token, across attempts.
    let deadline: ContinuousClock.Instant
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
            let race = await Race(exchange: self).run(primary: primary, hedge: hedge, until: firstTokenDeadline)
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

    fileprivate func attempt(_ candidate: RouteCandidate) throws -> UpstreamAttempt {
        guard let client = clients.client(for: candidate.deployment.provider) else {
            throw AttemptFailure(.connection, deployment: candidate.deployment.label, detail: "no client for the provider")
        }
        return UpstreamAttempt(
            deployment: candidate.deployment, client: client,
            body: request.upstreamBody(model: candidate.deployment.upstreamModel), logger: logger)
    }

    /// A first token arrived. A hedge that won is not a TTFT sample: only hedges that happened to be fast get to
    /// win (slow ones are cancelled unmeasured), so their times would make the hedge target look faster than it is.
    fileprivate func succeeded(_ candidate: RouteCandidate, _ primed: PrimedStream, asHedge: Bool) {
        if !asHedge { engine.recordSuccess(candidate, ttft: primed.timeToFirstToken) }
        metrics.recordFirstToken(deployment: candidate.deployment, ttfb: primed.timeToFirstByte, ttft: primed.timeToFirstToken)
    }

    /// After the first token: forward frames until the stream completes, breaks, or stalls past the idle timeout.
    private func streamRest(
        of stream: UpstreamStream, candidate: RouteCandidate, to output: AsyncStream<ExchangeSignal>.Continuation
    ) async {
        let deployment = candidate.deployment
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
            interrupted(failure, candidate: candidate, output: output)
        } catch is IdleWatchdog.Expired {
            interrupted(
                AttemptFailure(.connection, deployment: deployment.label, detail: "no data for \(Int(idle.milliseconds)) ms"),
                candidate: candidate, output: output)
        } catch {
            interrupted(AttemptFailure(.connection, deployment: deployment.label, detail: "\(error)"), candidate: candidate, output: output)
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

/// One round of attempts up to a first token: the primary, and a hedge started after a delay if the primary has
/// produced nothing by then. The first content token wins; the other attempt is cancelled at once (which closes
/// its connection).
private struct Race {
    let exchange: ChatExchange

    struct Result {
        var winner: (RouteCandidate, PrimedStream)?
        var failures: [(RouteCandidate, AttemptFailure)] = []
        var hedgeStarted = false
        var cancelled = false
    }

    private enum Event: Sendable {
        case primed(Int, PrimedStream)
        case failed(Int, AttemptFailure)
        case hedgeDue
        case deadline
        case cancelled
    }

    func run(
        primary: RouteCandidate, hedge: (candidate: RouteCandidate, delay: Duration)?, until deadline: ContinuousClock.Instant
    ) async -> Result {
        let candidates = [primary] + (hedge.map { [$0.candidate] } ?? [])
        let model = primary.deployment.modelName
        let budget = Int((deadline - ContinuousClock.now).milliseconds)
        let primaryStarted = ContinuousClock.now
        return await withTaskGroup(of: Event.self) { group in
            var result = Result()
            var running = 0
            func start(_ index: Int) {
                running += 1
                group.addTask {
                    let inFlight = InFlightToken(candidates[index].runtime)
                    do {
                        let attempt = try exchange.attempt(candidates[index])
                        var primed = try await attempt.prime()
                        primed.inFlight = inFlight
                        return .primed(index, primed)
                    } catch let failure as AttemptFailure {
                        return .failed(index, failure)
                    } catch {
                        if Task.isCancelled { return .cancelled }
                        return .failed(index, AttemptFailure(.connection, deployment: candidates[index].deployment.label, detail: "\(error)"))
                    }
                }
            }
            start(0)
            group.addTask {
                do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return .cancelled }
                return .deadline
            }
            if let hedge {
                group.addTask {
                    do { try await Task.sleep(for: hedge.delay) } catch { return .cancelled }
                    return .hedgeDue
                }
            }
            defer { group.cancelAll() }
            while let event = await group.next() {
                switch event {
                case .primed(let index, let primed):
                    exchange.succeeded(candidates[index], primed, asHedge: index == 1)
                    if index == 1 {
                        // The primary lost to the hedge: its TTFT is at least the time it ran. Recording that lower
                        // bound keeps a heavy-tailed primary from looking fast because its slow answers go unseen.
                        exchange.engine.recordSuccess(candidates[0], ttft: ContinuousClock.now - primaryStarted)
                    }
                    result.winner = (candidates[index], primed)
                    if result.hedgeStarted {
                        exchange.engine.metrics.recordHedge(model: model, index == 1 ? "won" : "cancelled")
                    }
                    return result
                case .failed(let index, let failure):
                    running -= 1
                    result.failures.append((candidates[index], failure))
                    // The hedge, if due later, is no longer a hedge but the next attempt: leave it to the caller.
                    if running == 0 { return result }
                case .hedgeDue:
                    guard running > 0, candidates.count > 1, exchange.engine.hedgeBudget.tryAcquireHedge() else { continue }
                    result.hedgeStarted = true
                    exchange.engine.metrics.recordHedge(model: model, "started")
                    start(1)
                case .deadline:
                    for index in 0..<(result.hedgeStarted ? 2 : 1) where !result.failures.contains(where: { $0.0.runtime === candidates[index].runtime }) {
                        result.failures.append(
                            (candidates[index],
                             AttemptFailure(
                                .firstTokenTimeout, deployment: candidates[index].deployment.label,
                                detail: "no first token within \(budget) ms")))
                    }
                    return result
                case .cancelled:
                    if Task.isCancelled {
                        result.cancelled = true
                        return result
                    }
                }
            }
            result.cancelled = true
            return result
        }
    }
}
