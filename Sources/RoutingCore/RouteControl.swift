/// What a client asked of the routing for one request, through the `x-edge-route` header (a JSON object).
///
/// ```
/// x-edge-route: {"order": ["groq", "together"], "ignore": ["openai"], "sort": "ttft", "max_ttft_ms": 800}
/// ```
/// Provider lists are matched against candidates by ``ProviderIDHash`` so the decision never compares strings.
public struct RouteControl: Sendable, Equatable {
    /// The header's name.
    public static let headerName = "x-edge-route"

    /// How the client wants candidates ranked.
    public enum Sort: String, Sendable, Equatable {
        /// By time to first token (the model's TTFT objective, or p50 when the model ranks by price).
        case ttft
        /// By price, TTFT breaking ties.
        case price
    }

    /// `order`: providers to try first, in this order; the others follow in ranked order.
    public var order: ProviderList
    /// `only`: when set, no other provider is used.
    public var only: ProviderList?
    /// `ignore`: providers never to use.
    public var ignore: ProviderList
    /// `sort`: overrides the model's objective.
    public var sort: Sort?
    /// `allow_fallbacks` (default true): false means only the first candidate is tried.
    public var allowFallbacks: Bool
    /// `max_ttft_ms`, in nanoseconds: skip deployments whose TTFT estimate is above it.
    public var maxTTFTNanos: UInt64?

    /// Route control with every field given; the defaults change nothing.
    public init(
        order: ProviderList = .empty,
        only: ProviderList? = nil,
        ignore: ProviderList = .empty,
        sort: Sort? = nil,
        allowFallbacks: Bool = true,
        maxTTFTNanos: UInt64? = nil
    ) {
        self.order = order
        self.only = only
        self.ignore = ignore
        self.sort = sort
        self.allowFallbacks = allowFallbacks
        self.maxTTFTNanos = maxTTFTNanos
    }

    /// No client preferences: the request is routed as configured.
    public static let none = RouteControl()
}
