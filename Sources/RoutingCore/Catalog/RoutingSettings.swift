/// How the routing brain learns and decides (`routing:` in the file); the defaults are documented where each
/// configuration type is declared and in the README.
public struct RoutingSettings: Sendable {
    /// The TTFT estimator of every deployment.
    public var estimator = TTFTEstimator.Configuration()
    /// The circuit breaker of every deployment.
    public var breaker = CircuitBreaker.Configuration()
    /// The scoring of candidates.
    public var decision = RoutingDecision.Configuration()
    /// The cap on hedged requests, as a share of requests.
    public var hedgeBudget = HedgeBudget.Configuration()
    /// How `auto` hedging picks its delay.
    public var hedge = HedgePolicy.Configuration()
    /// When an attempt with no first token is presumed hung.
    public var hang = HangDetection()

    public init() {}
}

/// A model's own routing choices (`models[].objective`, `models[].hedge`).
public struct ModelRouting: Sendable, Equatable {
    /// What "best" means for this model.
    public var objective: Objective = .defaultObjective
    /// Whether and when to hedge before the first token. Default ``HedgePolicy/auto``: after the chosen
    /// deployment's p90, within the ``HedgeBudget`` (see the README, "Routing", for the measurements).
    public var hedge: HedgePolicy = .auto

    public init(objective: Objective = .defaultObjective, hedge: HedgePolicy = .auto) {
        self.objective = objective
        self.hedge = hedge
    }
}
