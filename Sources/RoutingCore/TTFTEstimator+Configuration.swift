extension TTFTEstimator {
    /// How a ``TTFTEstimator`` weighs its samples. All durations are nanoseconds.
    public struct Configuration: Sendable, Equatable {
        /// Time constant of the Peak-EWMA: how fast it comes back down after a slow sample once faster ones arrive
        /// (e^-1 of the gap is left after this long). Default 10 s, Finagle's `p2cPeakEwma` and linkerd2-proxy's
        /// `EWMA_DECAY`. The Peak-EWMA is shown, not ranked on.
        public var ewmaDecay: UInt64
        /// How fast old samples lose weight in the level that ranking uses (the recent median and the expected
        /// TTFT): a sample counts half as much after this long, or after 16 further samples if they come slower than
        /// that. Default 20 s: about 290 samples at 10 requests a second and about 23 at one probe every 5 s, so
        /// one noisy sample barely moves the level. A step change does not wait for this memory: the level's change
        /// detection restarts it within one or two samples.
        public var recentHalfLife: UInt64
        /// CUSUM sum, in spreads of the level (its standard deviation of log TTFT), that counts as a step change.
        /// Default 5: a faster level is seen in one sample more than 6 spreads below it, a slower one in two samples
        /// more than 3.5 spreads above it (one slow sample never suffices); noise within a spread adds nothing.
        public var changeThreshold: Double
        /// How fast old samples lose weight in the quantiles: a sample counts half as much after this long.
        /// Default 30 s: enough samples for a stable p90 (hedging, the breaker's slow-call rule) at modest
        /// traffic, short enough that a step change moves p90 within about 5 s (when 10 % of the weight is new).
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
            recentHalfLife: UInt64 = 20 * RoutingTime.second,
            changeThreshold: Double = 5,
            quantileHalfLife: UInt64 = 30 * RoutingTime.second,
            staleAfter: UInt64 = 30 * RoutingTime.second,
            halfConfidenceWeight: Double = 3,
            lowestNanos: UInt64 = RoutingTime.millisecond,
            highestNanos: UInt64 = 300 * RoutingTime.second
        ) {
            self.ewmaDecay = ewmaDecay
            self.recentHalfLife = recentHalfLife
            self.changeThreshold = changeThreshold
            self.quantileHalfLife = quantileHalfLife
            self.staleAfter = staleAfter
            self.halfConfidenceWeight = halfConfidenceWeight
            self.lowestNanos = lowestNanos
            self.highestNanos = highestNanos
        }
    }
}
