extension TTFTEstimator {
    /// How a ``TTFTEstimator`` weighs its samples. All durations are nanoseconds.
    public struct Configuration: Sendable, Equatable {
        /// Time constant of the Peak-EWMA and of the recent mean: how fast they come back down after a slow
        /// sample once faster ones arrive (e^-1 of the gap is left after this long). Default 10 s, Finagle's
        /// `p2cPeakEwma` and linkerd2-proxy's `EWMA_DECAY`.
        public var ewmaDecay: UInt64
        /// How fast old samples lose weight in the quantiles: a sample counts half as much after this long.
        /// Default 60 s: long enough for a stable p99 at modest traffic, short enough that a step change moves
        /// p90 within about 9 s (when 10 % of the weight is new).
        public var quantileHalfLife: UInt64
        /// Age of the newest sample after which confidence starts to fall (halving every further `staleAfter`).
        /// Default 30 s: a few probe intervals.
        public var staleAfter: UInt64
        /// Decayed sample weight at which the weight part of confidence reaches one half (it is
        /// 1 - 2^(-weight / this)). Default 3: 10 recent samples give 0.9.
        public var halfConfidenceWeight: Double
        /// Lower edge of the histogram; faster samples count in the first bucket. Default 1 ms.
        public var lowestNanos: UInt64
        /// Upper edge of the histogram; slower samples count in the last bucket. Default 300 s.
        public var highestNanos: UInt64

        /// The defaults above, each overridable.
        public init(
            ewmaDecay: UInt64 = 10 * RoutingTime.second,
            quantileHalfLife: UInt64 = 60 * RoutingTime.second,
            staleAfter: UInt64 = 30 * RoutingTime.second,
            halfConfidenceWeight: Double = 3,
            lowestNanos: UInt64 = RoutingTime.millisecond,
            highestNanos: UInt64 = 300 * RoutingTime.second
        ) {
            self.ewmaDecay = ewmaDecay
            self.quantileHalfLife = quantileHalfLife
            self.staleAfter = staleAfter
            self.halfConfidenceWeight = halfConfidenceWeight
            self.lowestNanos = lowestNanos
            self.highestNanos = highestNanos
        }
    }
}
