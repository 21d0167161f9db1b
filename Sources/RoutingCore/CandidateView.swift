/// What the routing decision needs to know of one deployment, copied by the caller from its live state (atomics,
/// breaker availability) into a buffer just before deciding. A plain value: the decision reads nothing else.
///
/// The decision's input. There is one candidate type per stage: ``CandidateView`` in, ``RankedCandidate`` out,
/// ``RouteCandidate`` in the plan the pipeline walks.
public struct CandidateView: Sendable, Equatable {
    /// The caller's own index of the deployment. The decision does not read it (its result names positions in the
    /// candidate buffer); it saves the caller a lookup from position to deployment.
    public var deploymentIndex: Int32
    /// ``ProviderIDHash`` of the deployment's provider id, matched against `x-edge-route` provider lists.
    public var providerHash: UInt64
    /// The deployment's TTFT estimate at the time of the decision.
    public var ttft: TTFTEstimate
    /// The deployment's breaker availability at the time of the decision.
    public var availability: CircuitBreaker.Availability
    /// Requests to this deployment now in flight from this router.
    public var inFlight: Int
    /// Concurrent requests the provider serves well, when it declares one (self-hosted vLLM, Ollama). Only these
    /// get a load term: for large hosted APIs this router's share of their load says little.
    public var capacity: Int?
    /// Blended price in US dollars per million tokens (the caller picks the blend, e.g. 3:1 input:output).
    public var pricePerMillion: Double
    /// The breaker's ``CircuitBreaker/retryAtNanos``; orders candidates in panic mode (earliest first).
    public var retryAtNanos: UInt64?

    /// A candidate view with every field given.
    public init(
        deploymentIndex: Int32,
        providerHash: UInt64,
        ttft: TTFTEstimate,
        availability: CircuitBreaker.Availability = .available,
        inFlight: Int = 0,
        capacity: Int? = nil,
        pricePerMillion: Double = 0,
        retryAtNanos: UInt64? = nil
    ) {
        self.deploymentIndex = deploymentIndex
        self.providerHash = providerHash
        self.ttft = ttft
        self.availability = availability
        self.inFlight = inFlight
        self.capacity = capacity
        self.pricePerMillion = pricePerMillion
        self.retryAtNanos = retryAtNanos
    }
}
