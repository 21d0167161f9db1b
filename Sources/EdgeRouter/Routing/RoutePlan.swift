/// Why a deployment was chosen; sent to the client as `x-edge-route-reason`.
public enum RouteReason: String, Sendable {
    /// The best-ranked candidate.
    case best
    /// The client pinned a provider with `provider/model`.
    case pinned
    /// The configured (or client-given) order.
    case order
    /// An earlier attempt failed before the first token.
    case failover
}

/// The deployments to try for one request, best first. Produced by a ``RoutingPolicy``; the pipeline walks it,
/// never trying a deployment twice.
public struct RoutePlan: Sendable {
    /// Candidates in the order to try them.
    public var candidates: [Deployment]
    /// Why the first candidate is first.
    public var reason: RouteReason

    public init(candidates: [Deployment], reason: RouteReason) {
        self.candidates = candidates
        self.reason = reason
    }
}

/// What became of one upstream attempt, fed back to the routing policy so it can learn.
public struct AttemptReport: Sendable {
    /// The deployment that was tried.
    public var deployment: Deployment
    /// Time from sending the request to the response head.
    public var timeToFirstByte: Duration?
    /// Time from sending the request to the first content token.
    public var timeToFirstToken: Duration?
    /// Why the attempt failed, if it did.
    public var failure: AttemptFailure?
}

/// Decides which deployments serve a request, and learns from how attempts went.
///
/// The decision must be cheap and safe to call from many requests at once: implementations read an immutable
/// snapshot. This module's ``ConfiguredOrderPolicy`` follows the configured order.
public protocol RoutingPolicy: Sendable {
    /// The plan for a request for `model`; `pinnedProvider` restricts it to one provider.
    func plan(for model: Model, pinnedProvider: String?) -> RoutePlan
    /// Called once per finished attempt, successful or not.
    func record(_ report: AttemptReport)
}

/// Tries deployments in the order the configuration lists them.
public struct ConfiguredOrderPolicy: RoutingPolicy {
    public init() {}

    public func plan(for model: Model, pinnedProvider: String?) -> RoutePlan {
        guard let pinnedProvider else { return RoutePlan(candidates: model.deployments, reason: .order) }
        return RoutePlan(candidates: model.deployments.filter { $0.provider.id == pinnedProvider }, reason: .pinned)
    }

    public func record(_ report: AttemptReport) {}
}
