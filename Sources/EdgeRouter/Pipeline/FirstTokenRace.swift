import NIOCore

/// One round of attempts up to a first token: the primary, and a hedge started after a delay if the primary has
/// produced nothing by then. The first content token wins; the other call is cancelled at once (which closes its
/// connection).
///
/// Everything happens on the client connection's event loop: the calls report their first token (or failure)
/// there, and the deadline and the hedge delay are NIO timers there. A race costs no task and no lock; it ends
/// once, by calling `onEnd`, unless it is cancelled first.
final class FirstTokenRace {
    struct Result {
        var winner: (candidate: RouteCandidate, call: UpstreamCall, timing: UpstreamCall.FirstTokenTiming)?
        var failures: [(RouteCandidate, AttemptFailure)] = []
        var hedgeStarted = false
    }

    private let exchange: ChatExchange
    private let candidates: [RouteCandidate]
    private let onEnd: (Result) -> Void
    private var calls: [UpstreamCall] = []
    private var running = 0
    private var result = Result()
    private var isOver = false
    private var primaryStarted = ContinuousClock.now
    private var budgetMillis = 0
    private var timers: [Scheduled<Void>] = []

    init(
        exchange: ChatExchange, primary: RouteCandidate, hedge: RouteCandidate?,
        onEnd: @escaping (Result) -> Void
    ) {
        self.exchange = exchange
        self.candidates = [primary] + (hedge.map { [$0] } ?? [])
        self.onEnd = onEnd
    }

    /// Starts the primary, and arms the deadline and the hedge's delay (if there is a hedge).
    func run(hedgeDelay: Duration?, until deadline: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        budgetMillis = Int((deadline - now).milliseconds)
        primaryStarted = now
        start(0)
        // The primary may have failed at once (no usable client): then the race is already over.
        guard !isOver else { return }
        let eventLoop = exchange.eventLoop.assumeIsolatedUnsafeUnchecked()  // the race runs on this loop
        timers.append(eventLoop.scheduleTask(in: .nanoseconds((deadline - now).nanoseconds)) { [weak self] in
            self?.deadlineReached()
        })
        if let hedgeDelay, candidates.count > 1 {
            timers.append(eventLoop.scheduleTask(in: .nanoseconds(hedgeDelay.nanoseconds)) { [weak self] in
                self?.hedgeDue()
            })
        }
    }

    /// Stops the race without ending it: every call is cancelled and `onEnd` is not called.
    func cancel() {
        guard !isOver else { return }
        isOver = true
        stopTimers()
        for call in calls { call.cancel() }
    }

    private func start(_ index: Int) {
        running += 1
        let call = exchange.makeCall(candidates[index]) { [weak self] outcome in self?.firstToken(index, outcome) }
        calls.append(call)
        exchange.send(call)
    }

    private func firstToken(_ index: Int, _ outcome: UpstreamCall.FirstToken) {
        guard !isOver else { return }
        switch outcome {
        case .arrived(let timing):
            exchange.succeeded(candidates[index], timing, asHedge: index == 1)
            if index == 1 {
                // The primary lost to the hedge: its TTFT is at least the time it ran. Recording that lower bound
                // keeps a heavy-tailed primary from looking fast because its slow answers go unseen.
                exchange.engine.recordSuccess(candidates[0], ttft: ContinuousClock.now - primaryStarted)
            }
            result.winner = (candidates[index], calls[index], timing)
            if result.hedgeStarted {
                exchange.engine.metrics.recordHedge(model: candidates[0].deployment.modelName, index == 1 ? "won" : "cancelled")
            }
            end()
        case .failed(let failure):
            running -= 1
            result.failures.append((candidates[index], failure))
            // The hedge, if due later, is no longer a hedge but the next attempt: leave it to the exchange.
            if running == 0 { end() }
        }
    }

    private func hedgeDue() {
        guard !isOver, running > 0, calls.count == 1, exchange.engine.hedgeBudget.tryAcquireHedge() else { return }
        result.hedgeStarted = true
        exchange.engine.metrics.recordHedge(model: candidates[0].deployment.modelName, "started")
        start(1)
    }

    private func deadlineReached() {
        guard !isOver else { return }
        for index in calls.indices where !result.failures.contains(where: { $0.0.runtime === candidates[index].runtime }) {
            result.failures.append(
                (candidates[index],
                 AttemptFailure(
                    .firstTokenTimeout, deployment: candidates[index].deployment.label,
                    detail: "no first token within \(budgetMillis) ms")))
        }
        end()
    }

    private func end() {
        isOver = true
        stopTimers()
        for call in calls where call !== result.winner?.call { call.cancel() }
        calls = []
        onEnd(result)
    }

    private func stopTimers() {
        for timer in timers { timer.cancel() }
        timers = []
    }
}
