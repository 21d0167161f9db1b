/// When an attempt that has no first token yet is presumed hung, long before the provider's first-token timeout.
///
/// A deployment whose TTFT distribution is known tells a hang from a slow answer early: an attempt still waiting
/// at `multiplier` x the deployment's p99 (at least `floorNanos`) is far outside what the deployment does. The
/// request then moves on (a hedge within the ``HedgeBudget``, else a failover), and the deployment becomes
/// *suspect*: no new request is routed to it for `holdNanos`, unless one of its attempts produces a token first
/// (which clears the suspicion at once). Without `minimumSamples` samples the p99 is not trusted and only the
/// first-token timeout applies.
public struct HangDetection: Sendable, Equatable {
    /// The threshold as a multiple of the deployment's p99 TTFT. Default 2.
    public var multiplier: Double
    /// The shortest threshold, so that a very fast deployment is not suspected for a hiccup. Default 250 ms.
    public var floorNanos: UInt64
    /// Samples (live and probe) the estimate needs before its p99 is used. Default 10.
    public var minimumSamples: Int
    /// How long a suspect deployment stays out of new decisions without a token to clear it. Default 10 s (the
    /// breaker's first open time: a hang that outlasts it is tried again by one request, at the cost of one
    /// threshold).
    public var holdNanos: UInt64

    /// The defaults above, each overridable.
    public init(
        multiplier: Double = 2,
        floorNanos: UInt64 = 250 * RoutingTime.millisecond,
        minimumSamples: Int = 10,
        holdNanos: UInt64 = 10 * RoutingTime.second
    ) {
        self.multiplier = multiplier
        self.floorNanos = floorNanos
        self.minimumSamples = minimumSamples
        self.holdNanos = holdNanos
    }

    /// Age without a first token past which an attempt on a deployment with `estimate` is presumed hung, in
    /// nanoseconds, or nil when the estimate has too few samples (or detection is off: a multiplier of 0).
    public func thresholdNanos(for estimate: TTFTEstimate) -> UInt64? {
        guard multiplier > 0, estimate.sampleCount >= max(minimumSamples, 1), estimate.p99Nanos > 0 else { return nil }
        let scaled = Double(estimate.p99Nanos) * multiplier
        let nanos: UInt64 = scaled < 1.8e19 ? UInt64(scaled.rounded()) : .max
        return max(nanos, floorNanos)
    }
}
