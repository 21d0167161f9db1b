import Logging

/// The routing brain: ranks each request's candidates from live TTFT estimates and breaker states, and learns
/// from every attempt.
///
/// The decision reads an immutable ``RoutingSnapshot``, taken from a ``SnapshotCell`` (one short lock per
/// request), and each deployment's published atomics: no actor hop, and no allocation in the whole plan for a model
/// of up to ``RouteCandidates/inlineCapacity`` deployments (the `plan` micro-benchmark pins it at 0); a model with
/// more allocates twice per plan (see ``rank(_:settings:now:control:residency:learning:)``).
public final class RoutingEngine: Sendable {
    private let cell: SnapshotCell<RoutingSnapshot>
    /// The current snapshot's settings (a reload may replace them).
    private var settings: RoutingSettings { cell.load().settings }
    /// The node-wide budget of hedged attempts.
    public let hedgeBudget: HedgeBudget
    private let observer: any RoutingObserver
    private let logger: Logger
    /// Background probes are the breakers' trial calls: half-open deployments get no user request.
    private let trialsByProbe: Bool

    /// An engine for `models`, with nothing measured yet. `trialsByProbe` says that background probes run and are
    /// the breakers' trial calls; `observer` hears of every decision and breaker transition (the router's metrics).
    public init(
        models: [Model], settings: RoutingSettings = .init(), trialsByProbe: Bool = false,
        observer: any RoutingObserver = SilentRoutingObserver(), logger: Logger
    ) {
        cell = SnapshotCell(RoutingSnapshot(models: models, settings: settings, reusing: nil))
        hedgeBudget = HedgeBudget(configuration: settings.hedgeBudget)
        self.observer = observer
        self.logger = logger
        self.trialsByProbe = trialsByProbe
    }

    /// Every deployment's live state.
    public var runtimes: [DeploymentRuntime] {
        cell.load().routes.values.sorted { $0.model.name < $1.model.name }.flatMap(\.runtimes)
    }

    /// The model a deployment serves.
    public func model(of runtime: DeploymentRuntime) -> Model? {
        cell.load().routes[runtime.deployment.modelName]?.model
    }

    /// A background probe's result: a `probe` TTFT sample and, for the breaker, a trial call's outcome.
    public func recordProbe(_ runtime: DeploymentRuntime, _ outcome: ProbeOutcome) {
        let now = MonotonicTime.now()
        let action: CircuitBreaker.Action
        switch outcome {
        case .firstToken(let ttft):
            action = runtime.recordSuccess(ttftNanos: MonotonicTime.nanos(ttft), source: .probe, now: now)
        case .failed(let httpStatus, let message):
            let detail = "probe: \(message)"
            switch httpStatus {
            case 429: action = runtime.recordFailure(.rateLimited(retryAfterNanos: nil), detail: detail, now: now)
            case 401, 403:
                action = runtime.recordFailure(.credentialsRejected, detail: detail, now: now)
                observer.credentialsRejected(runtime)
            default: action = runtime.recordFailure(.probeFailure, detail: detail, now: now)
            }
        }
        apply(action, to: runtime)
    }

    /// Swaps in a snapshot for a changed set of models, keeping what was learned about deployments that remain.
    public func publish(_ models: [Model]) {
        publish(prepare(models, settings: settings).snapshot)
    }

    /// The current snapshot: what a request is planned with (see ``plan(_:in:now:)``).
    public var snapshot: RoutingSnapshot { cell.load() }

    /// A snapshot for `models` and `settings` that keeps what was learned about the current deployments that
    /// remain, and how it differs from the current one; nothing changes until it is published.
    /// The hedge budget is the engine's own and stays.
    public func prepare(_ models: [Model], settings: RoutingSettings) -> (snapshot: RoutingSnapshot, change: CatalogChange) {
        let current = cell.load()
        return (RoutingSnapshot(models: models, settings: settings, reusing: current), CatalogChange(from: current.runtimes.keys, to: models))
    }

    /// Makes `snapshot` (from ``prepare(_:settings:)``) the current one. Requests planned on the previous one keep it.
    public func publish(_ snapshot: RoutingSnapshot) {
        cell.publish(snapshot)
    }

    /// Whether `runtime` is a deployment of the current snapshot (a reload may have removed or replaced it).
    public func isCurrent(_ runtime: DeploymentRuntime) -> Bool {
        cell.load().runtimes[runtime.deployment.key] === runtime
    }

    /// The plan for one request, on the current snapshot.
    public func plan(_ request: RouteRequest, now: UInt64) -> RoutePlan {
        plan(request, in: cell.load(), now: now)
    }

    /// The plan for one request on `snapshot`: the one the request's configuration was published with, so that a
    /// reload between its admission and its plan cannot hand it a catalog that lacks its model.
    public func plan(_ request: RouteRequest, in snapshot: RoutingSnapshot, now: UInt64) -> RoutePlan {
        guard let route = snapshot.routes[request.model.name] else {
            return RoutePlan(candidates: [], reason: .best, hedge: .off)
        }
        hedgeBudget.noteRequest()
        var control = request.control
        if let pinned = request.pinnedProvider { control.only = ProviderList([pinned]) }
        var plan = rank(
            route, settings: snapshot.settings, now: now, control: control, residency: request.residency, learning: true)
        if request.pinnedProvider != nil, plan.reason == .best { plan.reason = .pinned }
        if let first = plan.candidates.first {
            first.runtime.decisions.add(1, ordering: .relaxed)
            observer.decided(first.runtime, reason: plan.reason)
        }
        return plan
    }

    /// Ranks a model's deployments: the allocation-free decision over values read from the deployments' atomics,
    /// then the plan built from its output. `learning` turns on exploration and leaves half-open deployments to
    /// probes where probes run; the admin view ranks without either.
    ///
    /// Allocation-free up to ``RouteCandidates/inlineCapacity`` deployments: the views are gathered on the stack
    /// (``InlineCandidateViews``), the ranked entries in a temporary allocation small enough to stay there, and the
    /// plan keeps its candidates inline. A model with more deployments gathers its views in a temporary allocation
    /// that goes to the heap past 1 KiB, and a plan with more candidates moves them into one array: two
    /// allocations for such a request, as every request made before.
    private func rank(
        _ route: RoutingSnapshot.ModelRoute, settings: RoutingSettings, now: UInt64, control: RouteControl,
        residency: ResidencyRule?, learning: Bool
    ) -> RoutePlan {
        if route.runtimes.count <= InlineCandidateViews.capacity {
            var inline = InlineCandidateViews()
            return inline.withBuffer { views in
                rank(route, settings: settings, now: now, control: control, residency: residency, learning: learning, views: views)
            }
        }
        return withUnsafeTemporaryAllocation(of: CandidateView.self, capacity: route.runtimes.count) { views in
            rank(route, settings: settings, now: now, control: control, residency: residency, learning: learning, views: views)
        }
    }

    /// ``rank(_:settings:now:control:residency:learning:)`` with `views`, room for a view of every deployment.
    private func rank(
        _ route: RoutingSnapshot.ModelRoute, settings: RoutingSettings, now: UInt64, control: RouteControl,
        residency: ResidencyRule?, learning: Bool, views: UnsafeMutableBufferPointer<CandidateView>
    ) -> RoutePlan {
        let runtimes = route.runtimes
        return withUnsafeTemporaryAllocation(of: RankedCandidate.self, capacity: runtimes.count) { ranked in
            var count = 0
            var neverMeasured = false
            var anyMeasured = false
            for (position, runtime) in runtimes.enumerated() {
                // Residency filters before the decision: a forbidden region is never a candidate, not even in
                // panic mode.
                if let rule = residency, !rule.allows(region: runtime.deployment.provider.region) { continue }
                let view = runtime.candidateView(
                    now: now, position: Int32(position), trialsByProbe: learning && trialsByProbe)
                if !view.ttft.hasData, case .available = view.availability { neverMeasured = true }
                if view.ttft.hasData { anyMeasured = true }
                views[count] = view
                count += 1
            }
            // A deployment that has never given a first token is measured before the choice settles: once another
            // is known, the least-known candidate goes first. While none is known, the configured order stands (no
            // exploration at all).
            let draw: UInt64? = !learning || !anyMeasured ? nil : neverMeasured ? 0 : .random(in: .min ... .max)
            let outcome = RoutingDecision.rank(
                UnsafeBufferPointer(rebasing: views[..<count]), objective: route.model.routing.objective,
                control: control, configuration: settings.decision, explorationDraw: draw, into: ranked)
            var candidates = RouteCandidates()
            for entry in ranked[..<outcome.count] {
                let view = views[Int(entry.candidate)]
                candidates.append(
                    RouteCandidate(
                        runtime: runtimes[Int(view.deploymentIndex)], estimate: view.ttft, isTrial: entry.isTrial))
            }
            return RoutePlan(candidates: candidates, reason: outcome.reason, hedge: route.model.routing.hedge)
        }
    }

    /// The delay after which to hedge a request whose first attempt goes to `candidate`, or nil for none.
    public func hedgeDelay(_ plan: RoutePlan, first candidate: RouteCandidate) -> Duration? {
        guard let nanos = plan.hedge.delayNanos(for: candidate.estimate, configuration: settings.hedge) else { return nil }
        return .nanoseconds(Int64(clamping: nanos))
    }

    /// A first token arrived: a live TTFT sample, and a success for the breaker (which also clears a suspicion of
    /// hanging).
    public func recordSuccess(_ candidate: RouteCandidate, ttft: Duration) {
        let action = candidate.runtime.recordSuccess(ttftNanos: MonotonicTime.nanos(ttft), source: .live, now: MonotonicTime.now())
        apply(action, to: candidate.runtime)
    }

    /// An attempt failed before its first token (or its stream broke): the breaker's to judge.
    public func recordFailure(_ candidate: RouteCandidate, _ failure: AttemptFailure) {
        let outcome: CircuitBreaker.CallOutcome
        switch failure.cause {
        case .rejected: return  // the client's request was at fault, not the deployment
        case .clientStalled: return  // the client stopped reading: nothing the deployment did
        case .atCapacity: return  // busy, not broken: the next request may find a free slot
        case .credentials: outcome = .credentialsRejected
        case .status where failure.status == 429:
            outcome = .rateLimited(retryAfterNanos: failure.retryAfter.map(MonotonicTime.nanos))
        case .status where failure.status == 503 && failure.retryAfter != nil:
            // A 503 that says when to come back is a provider shedding load, as a 429 is: hold the deployment
            // for that long (capped by `maxRateLimitDuration`) instead of counting a failure towards opening.
            outcome = .rateLimited(retryAfterNanos: failure.retryAfter.map(MonotonicTime.nanos))
        default: outcome = .failure
        }
        let action = candidate.runtime.recordFailure(outcome, detail: failure.internalDetail, now: MonotonicTime.now())
        if failure.cause == .credentials { observer.credentialsRejected(candidate.runtime) }
        apply(action, to: candidate.runtime)
    }

    /// The age without a first token past which an attempt on `candidate` is presumed hung, or nil when its
    /// estimate is too thin to tell (see ``HangDetection``).
    public func hangThreshold(_ candidate: RouteCandidate) -> Duration? {
        settings.hang.thresholdNanos(for: candidate.estimate).map { .nanoseconds(Int64(clamping: $0)) }
    }

    /// An attempt on `candidate` went past its hang threshold without a first token: the deployment is suspect and
    /// gets no new request for the hold time, unless a token clears it first.
    public func markSuspect(_ candidate: RouteCandidate, waited: Duration) {
        let now = MonotonicTime.now()
        let runtime = candidate.runtime
        guard runtime.markSuspect(now: now, until: CircuitBreaker.adding(now, settings.hang.holdNanos)) else { return }
        observer.suspected(runtime)
        logger.notice(
            "deployment suspect of hanging: no first token past its hang threshold; no new requests for the hold time",
            metadata: [
                "deployment": "\(runtime.deployment.label)", "model": "\(runtime.deployment.modelName)",
                "waited_ms": "\(waited.nanoseconds / 1_000_000)", "hold_ms": "\(settings.hang.holdNanos / RoutingTime.millisecond)",
            ])
    }

    /// `candidate` was a half-open trial whose request ends with no outcome (the client's deadline or departure):
    /// the trial is given back.
    public func releaseTrial(_ candidate: RouteCandidate) {
        candidate.runtime.releaseTrial(now: MonotonicTime.now())
    }

    /// A first token arrived from `candidate`'s deployment (a hedge's too): it is not hanging.
    public func noteFirstToken(_ candidate: RouteCandidate) {
        candidate.runtime.clearSuspicion()
    }

    /// `candidate` lost its race after `ttft` with no token of its own: a lower bound of its TTFT for the
    /// estimator, and nothing for the breaker.
    public func recordLowerBound(_ candidate: RouteCandidate, ttft: Duration) {
        candidate.runtime.recordLowerBound(ttftNanos: MonotonicTime.nanos(ttft), now: MonotonicTime.now())
    }

    /// `candidate` rejected a request as invalid that another deployment then served: evidence that the
    /// deployment, not the request, is wrong (see ``CircuitBreaker/Configuration/misconfiguredRejections``).
    public func recordRejectedServedElsewhere(_ candidate: RouteCandidate, _ failure: AttemptFailure) {
        let action = candidate.runtime.recordFailure(.rejectedServedElsewhere, detail: failure.detail, now: MonotonicTime.now())
        apply(action, to: candidate.runtime)
    }

    private func apply(_ action: CircuitBreaker.Action, to runtime: DeploymentRuntime) {
        guard let transition = action.transition else { return }
        observer.transitioned(runtime, to: transition.to, reason: transition.reason)
        let metadata = Self.logMetadata(transition, deployment: runtime.deployment, now: MonotonicTime.now())
        if transition.reason == .credentialsRejected {
            logger.critical("provider rejected our credentials: its deployments are ejected; check its api_key", metadata: metadata)
        } else if transition.reason == .misconfigured {
            logger.error(
                "deployment rejects requests that other deployments serve: ejected; check its upstream model name",
                metadata: metadata)
        } else {
            logger.notice("circuit breaker transition", metadata: metadata)
        }
    }

    /// A transition's log fields as plain values: state names as in metrics (`closed`, `open`, `half_open`,
    /// `rate_limited`), the reason, and the milliseconds until the breaker lets a call through again.
    public static func logMetadata(_ transition: CircuitBreaker.Transition, deployment: Deployment, now: UInt64) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "deployment": "\(deployment.label)", "model": "\(deployment.modelName)",
            "from": "\(transition.from.nameAndCode.name)", "to": "\(transition.to.nameAndCode.name)",
            "reason": "\(transition.reason.rawValue)",
        ]
        if let retryAt = CircuitBreaker.retryAt(of: transition.to) {
            metadata["retry_in_ms"] = "\(retryAt > now ? (retryAt - now) / RoutingTime.millisecond : 0)"
        }
        return metadata
    }

    /// Every model's deployments ranked as a plain request would see them now, for `/admin/routes`.
    public func adminView(now: UInt64) -> [(model: Model, plan: RoutePlan, runtimes: [DeploymentRuntime])] {
        let snapshot = cell.load()
        return snapshot.routes.values.sorted { $0.model.name < $1.model.name }.map { route in
            (route.model, rank(route, settings: snapshot.settings, now: now, control: .none, residency: nil, learning: false), route.runtimes)
        }
    }
}
