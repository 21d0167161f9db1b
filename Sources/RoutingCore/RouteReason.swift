/// Why a deployment was chosen; sent to the client as `x-edge-route-reason`.
public enum RouteReason: String, Sendable {
    /// The best-ranked candidate.
    case best
    /// The client pinned a provider with `provider/model`.
    case pinned
    /// The client's (or configured) order was applied.
    case order
    /// An earlier attempt failed before the first token.
    case failover
    /// A hedged attempt, started because the first had no token after the hedge delay, gave the first token.
    case hedge
    /// Every candidate's breaker was open: the ones most likely to have recovered (earliest retry time) are tried
    /// anyway, as in Envoy's panic mode, rather than failing the request outright.
    case panic
    /// A candidate with little data was moved first to learn its TTFT (a small, configured share of requests).
    case explore
}
