/// A histogram over log-spaced buckets whose weights fade exponentially with time, for recent quantiles.
///
/// Decay is applied lazily ("forward decay"): a sample recorded at time t is added with weight 2^((t - landmark) /
/// halfLife), so newer samples weigh more, and nothing has to be rescaled on each step. Quantiles only need the
/// ratios between buckets, which this keeps exact; the absolute weight at `now` is the stored total divided by
/// 2^((now - landmark) / halfLife). When that factor grows large the buckets are rescaled once and the landmark
/// moves, which keeps every number finite. Recording is O(1); quantiles are one pass over the 96 buckets.
public struct DecayingLogHistogram: Sendable {
    /// The forward-decay exponent above which the buckets are rescaled (2^64 leaves plenty of headroom in a Double).
    private static let rescaleExponent = 64.0

    private var weights = BucketWeights()
    /// Sum of the stored (scaled) weights.
    private var scaledTotal = 0.0
    /// The time at which a new sample has weight 1.
    private var landmark: UInt64 = 0
    private var hasLandmark = false

    /// log2 of the lower edge of the first bucket, in nanoseconds.
    private let logLow: Double
    /// Width of one bucket in log2 units.
    private let logStep: Double
    /// Half-life of the weights, in nanoseconds.
    private let halfLife: Double

    /// Buckets from `lowNanos` to `highNanos`; values outside are counted in the first or last bucket.
    public init(lowNanos: UInt64, highNanos: UInt64, halfLifeNanos: UInt64) {
        let low = Double(max(lowNanos, 1))
        let high = max(Double(highNanos), low * 2)
        logLow = RoutingMath.logBase2(low)
        logStep = (RoutingMath.logBase2(high) - logLow) / Double(BucketWeights.count)
        halfLife = Double(max(halfLifeNanos, 1))
    }

    /// Signed time from the landmark to `now`, in half-lives.
    @inline(__always)
    private func halfLives(at now: UInt64) -> Double {
        now >= landmark ? Double(now - landmark) / halfLife : -Double(landmark - now) / halfLife
    }

    /// The bucket a value falls in.
    @inline(__always)
    public func bucket(of nanos: UInt64) -> Int {
        let position = (RoutingMath.logBase2(Double(max(nanos, 1))) - logLow) / logStep
        // Comparing before converting keeps NaN-free but huge or negative positions from trapping in `Int(_:)`.
        if !(position > 0) { return 0 }
        if position >= Double(BucketWeights.count - 1) { return BucketWeights.count - 1 }
        return Int(position)
    }

    /// Adds one sample at time `now`.
    public mutating func add(_ nanos: UInt64, at now: UInt64) {
        if !hasLandmark {
            landmark = now
            hasLandmark = true
        }
        var exponent = halfLives(at: now)
        if exponent > Self.rescaleExponent {
            rescale(toLandmark: now, factor: RoutingMath.power2(-exponent))
            exponent = 0
        }
        let weight = RoutingMath.power2(exponent)
        let index = bucket(of: nanos)
        weights.withMutableBuffer { $0[index] += weight }
        scaledTotal += weight
    }

    /// Multiplies every weight by `factor` and makes `newLandmark` the time of unit weight.
    private mutating func rescale(toLandmark newLandmark: UInt64, factor: Double) {
        scaledTotal = weights.withMutableBuffer { buffer in
            var total = 0.0
            for index in buffer.indices {
                buffer[index] *= factor
                total += buffer[index]
            }
            return total
        }
        landmark = newLandmark
    }

    /// The decayed number of samples at `now`: each sample counts 1 when new and half as much per half-life.
    public func effectiveWeight(at now: UInt64) -> Double {
        guard scaledTotal > 0 else { return 0 }
        // A `now` before the newest sample (callers racing on the clock) counts as that sample's time.
        return min(scaledTotal * RoutingMath.power2(-max(halfLives(at: now), 0)), scaledTotal)
    }

    /// The values at quantiles `q1 <= q2 <= q3` (each in 0...1), interpolated log-linearly inside their bucket.
    ///
    /// Log-linear interpolation assumes the values are spread evenly in log space within a bucket, which suits
    /// latencies (roughly log-normal) better than linear interpolation. Returns zeros when there are no samples.
    public func quantiles(_ q1: Double, _ q2: Double, _ q3: Double) -> (Double, Double, Double) {
        guard scaledTotal > 0 else { return (0, 0, 0) }
        return weights.withBuffer { buffer in
            let targets = (q1 * scaledTotal, q2 * scaledTotal, q3 * scaledTotal)
            var results = (0.0, 0.0, 0.0)
            var found = 0
            var cumulative = 0.0
            var lastNonEmpty = 0
            for index in 0..<BucketWeights.count {
                let weight = buffer[index]
                guard weight > 0 else { continue }
                lastNonEmpty = index
                let next = cumulative + weight
                while found < 3 {
                    let target = found == 0 ? targets.0 : (found == 1 ? targets.1 : targets.2)
                    guard target <= next else { break }
                    let fraction = min(max((target - cumulative) / weight, 0), 1)
                    let value = RoutingMath.power2(logLow + (Double(index) + fraction) * logStep)
                    switch found {
                    case 0: results.0 = value
                    case 1: results.1 = value
                    default: results.2 = value
                    }
                    found += 1
                }
                cumulative = next
                if found == 3 { break }
            }
            // Rounding can leave the highest targets a hair above the summed weights: they are the top edge.
            if found < 3 {
                let top = RoutingMath.power2(logLow + Double(lastNonEmpty + 1) * logStep)
                if found < 1 { results.0 = top }
                if found < 2 { results.1 = top }
                results.2 = top
            }
            return results
        }
    }
}
