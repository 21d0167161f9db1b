extension RoutingDecision {
    /// What a decision produced, besides the ranked entries.
    public struct Outcome: Sendable, Equatable {
        /// How many entries of the output buffer hold candidates, best first.
        public var count: Int
        /// Why the first candidate is first.
        public var reason: RouteReason
        /// Candidates left out because their breaker is open (or rate-limited, or its trial is taken).
        public var excludedByBreaker: Int
        /// Candidates left out by the client's `only` or `ignore`.
        public var excludedByClient: Int
        /// Candidates left out by the client's `max_ttft_ms`.
        public var excludedByMaxTTFT: Int

        /// An outcome with every field given.
        public init(
            count: Int, reason: RouteReason, excludedByBreaker: Int, excludedByClient: Int, excludedByMaxTTFT: Int
        ) {
            self.count = count
            self.reason = reason
            self.excludedByBreaker = excludedByBreaker
            self.excludedByClient = excludedByClient
            self.excludedByMaxTTFT = excludedByMaxTTFT
        }
    }
}
