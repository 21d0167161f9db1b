/// One deployment of a plan, with what the decision knew of it.
struct RouteCandidate: Sendable {
    let runtime: DeploymentRuntime
    /// The estimate the decision ranked it by (for `x-edge-ttft-estimate-ms` and `x-edge-estimate-age-ms`).
    let estimate: TTFTEstimate
    /// Its breaker is half-open: sending to it is the trial call, claimed at admission.
    let isTrial: Bool

    var deployment: Deployment { runtime.deployment }
}

/// The deployments to try for one request, best first, and why the first is first. The pipeline walks it,
/// never trying a deployment twice.
struct RoutePlan: Sendable {
    var candidates: [RouteCandidate]
    var reason: RouteReason
    /// Whether to hedge before the first token, and when.
    var hedge: HedgePolicy
}

/// What a request asks of the routing decision besides its model.
struct RouteRequest: Sendable {
    var model: Model
    /// `provider/model`: only this provider.
    var pinnedProvider: String?
    /// The `x-edge-route` header.
    var control: RouteControl
    /// Provider regions the client's residency rule allows, if a rule applies.
    var residency: ResidencyRule?
}
