extension RoutingDecision {
    /// The decision's tuning.
    public struct Configuration: Sendable, Equatable {
        /// Extra share of the prior charged to what a candidate's data cannot vouch for: a candidate with no
        /// data scores prior x (1 + this), so it ranks just behind a typical known one, never ahead of a
        /// known-good fast one. Default 0.1.
        public var explorationPenalty: Double
        /// The prior when no candidate has any data, in nanoseconds. All candidates then score alike and price,
        /// then configured order, decide. Default 1 s.
        public var fallbackPriorNanos: Double
        /// Exponent of the load term 1 + ((inFlight + 1) / capacity)^exponent for providers that declare a
        /// capacity. Default 3, after C3: almost nothing while lightly loaded, x2 when full, x9 at twice the
        /// capacity, so many requests do not all stampede onto the one fastest self-hosted server.
        public var loadExponent: Double
        /// Share of decisions (given an `explorationDraw`) that move the least-known available candidate first,
        /// so a deployment with little data is still tried sometimes when probes are off. Default 0.01.
        public var explorationShare: Double
        /// Only candidates whose confidence is below this are explored. Default 0.5.
        public var explorationConfidenceBelow: Double

        /// The defaults above, each overridable.
        public init(
            explorationPenalty: Double = 0.1,
            fallbackPriorNanos: Double = 1e9,
            loadExponent: Double = 3,
            explorationShare: Double = 0.01,
            explorationConfidenceBelow: Double = 0.5
        ) {
            self.explorationPenalty = explorationPenalty
            self.fallbackPriorNanos = fallbackPriorNanos
            self.loadExponent = loadExponent
            self.explorationShare = explorationShare
            self.explorationConfidenceBelow = explorationConfidenceBelow
        }
    }
}
