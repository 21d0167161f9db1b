import NIOCore
import Synchronization

/// One round of attempts up to a first token: the primary, and a hedge started after a delay if the primary has
/// produced nothing by then. The first content token wins; the other attempt is cancelled at once (which closes
/// its connection).
///
/// Each attempt runs in a task of its own (async-http-client's requests are cancelled through their task); the
/// deadline and the hedge delay are NIO timers on the client's event loop. All of them report to one
/// ``RaceMailbox`` that the exchange's task reads, so a race costs one task per attempt and no timer tasks.
struct FirstTokenRace {
    let exchange: ChatExchange

    struct Result {
        var winner: (RouteCandidate, PrimedStream)?
        var failures: [(RouteCandidate, AttemptFailure)] = []
        var hedgeStarted = false
        var cancelled = false
    }

    enum Event: Sendable {
        case primed(Int, PrimedStream)
        case failed(Int, AttemptFailure)
        case hedgeDue
        case deadline
        /// The exchange's own task was cancelled.
        case cancelled
    }

    func run(
        primary: RouteCandidate, hedge: (candidate: RouteCandidate, delay: Duration)?, until deadline: ContinuousClock.Instant
    ) async -> Result {
        let candidates = [primary] + (hedge.map { [$0.candidate] } ?? [])
        let model = primary.deployment.modelName
        let budget = Int((deadline - ContinuousClock.now).milliseconds)
        let primaryStarted = ContinuousClock.now
        let mailbox = RaceMailbox()
        var tasks: [Task<Void, Never>] = []
        var running = 0
        func start(_ index: Int) {
            running += 1
            let candidate = candidates[index]
            tasks.append(
                Task { [exchange] in
                    let inFlight = InFlightToken(candidate.runtime)
                    do {
                        let attempt = try exchange.attempt(candidate)
                        var primed = try await attempt.prime()
                        primed.inFlight = inFlight
                        mailbox.post(.primed(index, primed))
                    } catch let failure as AttemptFailure {
                        mailbox.post(.failed(index, failure))
                    } catch {
                        // A cancelled attempt lost the race (or the exchange ended): nobody is listening.
                        if Task.isCancelled { return }
                        mailbox.post(
                            .failed(index, AttemptFailure(.connection, deployment: candidate.deployment.label, detail: "\(error)")))
                    }
                })
        }

        start(0)
        let eventLoop = exchange.eventLoop
        let deadlineTimer = eventLoop.scheduleTask(in: .nanoseconds((deadline - ContinuousClock.now).nanoseconds)) {
            mailbox.post(.deadline)
        }
        let hedgeTimer = hedge.map { hedge in
            eventLoop.scheduleTask(in: .nanoseconds(hedge.delay.nanoseconds)) { mailbox.post(.hedgeDue) }
        }
        defer {
            deadlineTimer.cancel()
            hedgeTimer?.cancel()
            // The winner's task has already returned; cancelling the others closes their connections.
            for task in tasks { task.cancel() }
        }

        var result = Result()
        while true {
            switch await mailbox.next() {
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
                for index in 0..<(result.hedgeStarted ? 2 : 1)
                where !result.failures.contains(where: { $0.0.runtime === candidates[index].runtime }) {
                    result.failures.append(
                        (candidates[index],
                         AttemptFailure(
                            .firstTokenTimeout, deployment: candidates[index].deployment.label,
                            detail: "no first token within \(budget) ms")))
                }
                return result
            case .cancelled:
                result.cancelled = true
                return result
            }
        }
    }
}

/// Where a race's attempts and timers report, read by the exchange's task one event at a time.
final class RaceMailbox: Sendable {
    private struct State {
        var events: [FirstTokenRace.Event] = []
        var waiter: CheckedContinuation<FirstTokenRace.Event, Never>?
    }

    private let state = Mutex(State())

    func post(_ event: FirstTokenRace.Event) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.events.append(event)
                return nil as CheckedContinuation<FirstTokenRace.Event, Never>?
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: event)
    }

    /// The next event; `.cancelled` as soon as the calling task is cancelled.
    func next() async -> FirstTokenRace.Event {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    guard !state.events.isEmpty else {
                        state.waiter = continuation
                        return nil as FirstTokenRace.Event?
                    }
                    return state.events.removeFirst()
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            post(.cancelled)
        }
    }
}
