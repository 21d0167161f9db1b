/// One deployment of a plan, with what the decision knew of it: what the pipeline holds (see ``CandidateView``
/// for the three stages).
public struct RouteCandidate: Sendable {
    /// The deployment's live state.
    public let runtime: DeploymentRuntime
    /// The estimate the decision ranked it by (for `x-edge-ttft-estimate-ms` and `x-edge-estimate-age-ms`).
    public let estimate: TTFTEstimate
    /// Its breaker is half-open: sending to it is the trial call, claimed at admission.
    public let isTrial: Bool

    /// A plan entry for `runtime`, ranked by `estimate`.
    public init(runtime: DeploymentRuntime, estimate: TTFTEstimate, isTrial: Bool) {
        self.runtime = runtime
        self.estimate = estimate
        self.isTrial = isTrial
    }

    /// The deployment to call.
    public var deployment: Deployment { runtime.deployment }
}

/// The deployments to try for one request, best first, and why the first is first. The pipeline walks it,
/// never trying a deployment twice.
public struct RoutePlan: Sendable {
    /// Best first; inline up to ``RouteCandidates/inlineCapacity`` (see ``RouteCandidates``).
    public var candidates: RouteCandidates
    /// Why the first candidate is first.
    public var reason: RouteReason
    /// Whether to hedge before the first token, and when.
    public var hedge: HedgePolicy

    /// A plan trying `candidates` in order.
    public init(candidates: RouteCandidates, reason: RouteReason, hedge: HedgePolicy) {
        self.candidates = candidates
        self.reason = reason
        self.hedge = hedge
    }
}

/// What a request asks of the routing decision besides its model.
public struct RouteRequest: Sendable {
    /// The model asked for (after alias resolution).
    public var model: Model
    /// `provider/model`: only this provider.
    public var pinnedProvider: String?
    /// The `x-edge-route` header.
    public var control: RouteControl
    /// Provider regions the client's residency rule allows, if a rule applies.
    public var residency: ResidencyRule?

    /// A request for `model`, by default with no pin, no `x-edge-route` and no residency rule.
    public init(model: Model, pinnedProvider: String? = nil, control: RouteControl = .none, residency: ResidencyRule? = nil) {
        self.model = model
        self.pinnedProvider = pinnedProvider
        self.control = control
        self.residency = residency
    }
}
