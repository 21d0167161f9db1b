/// When to send a second (hedged) request to another deployment if the first has produced no token yet
/// ("The Tail at Scale": hedge after the expected tail latency, first answer wins, cancel the loser).
///
/// Hedging only makes sense before the first token; each hedge must also get a token from a ``HedgeBudget``.
public enum HedgePolicy: Sendable, Equatable {
    /// Never hedge.
    case off
    /// Hedge after a fixed delay, in nanoseconds.
    case fixed(delayNanos: UInt64)
    /// Hedge after the chosen deployment's own p90 TTFT (at least `floorNanos`); when its estimate is too thin to
    /// trust, after `fallbackDelayNanos`.
    case auto

    /// Settings of ``HedgePolicy/auto``.
    public struct Configuration: Sendable, Equatable {
        /// Shortest automatic delay: below it a hedge would mostly duplicate work that was about to answer.
        /// Default 20 ms.
        public var floorNanos: UInt64
        /// Delay when the estimate's confidence is below `minimumConfidence`. Default 2 s, beyond the typical
        /// TTFT of hosted models, so a hedge without data stays rare.
        public var fallbackDelayNanos: UInt64
        /// Confidence the estimate needs before its p90 is used. Default 0.3.
        public var minimumConfidence: Double

        /// The defaults above, each overridable.
        public init(
            floorNanos: UInt64 = 20 * RoutingTime.millisecond,
            fallbackDelayNanos: UInt64 = 2 * RoutingTime.second,
            minimumConfidence: Double = 0.3
        ) {
            self.floorNanos = floorNanos
            self.fallbackDelayNanos = fallbackDelayNanos
            self.minimumConfidence = minimumConfidence
        }
    }

    /// How long after sending to the chosen deployment (whose estimate is `estimate`) to hedge, in nanoseconds,
    /// or nil when this policy never hedges.
    public func delayNanos(for estimate: TTFTEstimate, configuration: Configuration = Configuration()) -> UInt64? {
        switch self {
        case .off:
            return nil
        case .fixed(let delayNanos):
            return delayNanos
        case .auto:
            guard estimate.hasData, estimate.confidence >= configuration.minimumConfidence, estimate.p90Nanos > 0 else {
                return max(configuration.fallbackDelayNanos, configuration.floorNanos)
            }
            return max(estimate.p90Nanos, configuration.floorNanos)
        }
    }
}
