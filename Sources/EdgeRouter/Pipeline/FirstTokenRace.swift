import NIOCore
import Synchronization

/// One round of attempts up to a first token: the primary, and a hedge started after a delay if the primary has
/// produced nothing by then. The first content token wins; the other call is cancelled at once (which closes its
/// connection).
///
/// The calls report their first token (or failure) from their event loop; the deadline and the hedge delay are
/// NIO timers on the client's event loop. All of them post to one ``RaceMailbox`` that the request's task reads,
/// so a race costs no task and no timer task of its own.
struct FirstTokenRace {
    let exchange: ChatExchange

    struct Result {
        var winner: (candidate: RouteCandidate, call: UpstreamCall, timing: UpstreamCall.FirstTokenTiming)?
        var failures: [(RouteCandidate, AttemptFailure)] = []
        var hedgeStarted = false
        var cancelled = false
    }

    enum Event: Sendable {
        case firstToken(Int, UpstreamCall.FirstToken)
        case hedgeDue
        case deadline
        /// The exchange was stopped (the client left) or its task was cancelled.
        case cancelled
    }

    func run(
        primary: RouteCandidate, hedge: (candidate: RouteCandidate, delay: Duration)?, until deadline: ContinuousClock.Instant
    ) async -> Result {
        let mailbox = RaceMailbox()
        guard exchange.handle.waiting(on: .race(mailbox)) else { return Result(cancelled: true) }
        let candidates = [primary] + (hedge.map { [$0.candidate] } ?? [])
        let model = primary.deployment.modelName
        let budget = Int((deadline - ContinuousClock.now).milliseconds)
        let primaryStarted = ContinuousClock.now
        var calls: [UpstreamCall] = []
        var winnerIndex: Int?
        var running = 0
        func start(_ index: Int) {
            running += 1
            calls.append(exchange.call(candidates[index]) { mailbox.post(.firstToken(index, $0)) })
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
            for (index, call) in calls.enumerated() where index != winnerIndex { call.cancel() }
        }

        var result = Result()
        while true {
            switch await mailbox.next() {
            case .firstToken(let index, .arrived(let timing)):
                exchange.succeeded(candidates[index], timing, asHedge: index == 1)
                if index == 1 {
                    // The primary lost to the hedge: its TTFT is at least the time it ran. Recording that lower
                    // bound keeps a heavy-tailed primary from looking fast because its slow answers go unseen.
                    exchange.engine.recordSuccess(candidates[0], ttft: ContinuousClock.now - primaryStarted)
                }
                winnerIndex = index
                result.winner = (candidates[index], calls[index], timing)
                if result.hedgeStarted {
                    exchange.engine.metrics.recordHedge(model: model, index == 1 ? "won" : "cancelled")
                }
                return result
            case .firstToken(let index, .failed(let failure)):
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
                for index in 0..<calls.count
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

/// Where a race's calls and timers report, read by the request's task one event at a time.
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
