/// Hears what the ``RoutingEngine`` decides and learns, for metrics. The router's Prometheus metrics implement
/// it; the core itself knows no metrics backend.
///
/// Called on the request path (``decided(_:reason:)`` once per request): implementations must be cheap and must
/// not block.
public protocol RoutingObserver: Sendable {
    /// `runtime`'s deployment was a decision's first choice, for `reason`.
    func decided(_ runtime: DeploymentRuntime, reason: RouteReason)
    /// `runtime`'s breaker entered `state`, for `reason`.
    func transitioned(_ runtime: DeploymentRuntime, to state: CircuitBreaker.State, reason: CircuitBreaker.Reason)
    /// `runtime`'s deployment became suspect of hanging.
    func suspected(_ runtime: DeploymentRuntime)
    /// `runtime`'s provider refused our credentials (401 or 403), in a request or a probe.
    func credentialsRejected(_ runtime: DeploymentRuntime)
}

/// An observer that ignores everything: for tests, benchmarks and tools that need no metrics.
public struct SilentRoutingObserver: RoutingObserver {
    /// An observer that ignores everything.
    public init() {}
    public func decided(_ runtime: DeploymentRuntime, reason: RouteReason) {}
    public func transitioned(_ runtime: DeploymentRuntime, to state: CircuitBreaker.State, reason: CircuitBreaker.Reason) {}
    public func suspected(_ runtime: DeploymentRuntime) {}
    public func credentialsRejected(_ runtime: DeploymentRuntime) {}
}
