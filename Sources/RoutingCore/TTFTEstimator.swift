/// Estimates one deployment's (provider x model) time to first content token from live and probe samples.
///
/// It keeps three views of the same samples:
/// - the level, which ranking uses: a time-decayed mean and variance of log TTFT (half-life `recentHalfLife`)
///   with change detection (a two-sided CUSUM): it gives the recent median (2^mean) and the expected TTFT
///   (2^(mean + variance x ln 2 / 2), the mean of a log-normal, so a heavy tail counts). Between changes its
///   memory is long enough that one noisy sample barely moves it; a step change (a provider slowing from 60 to
///   500 ms, or a slow one turning fast) restarts it from the samples that showed the change, within two or three
///   samples however far apart they come;
/// - a Peak-EWMA (Finagle/Linkerd): jumps at once to a slower sample, decays toward faster ones with time
///   constant `ewmaDecay`; shown in metrics and the admin view;
/// - p50/p90/p99 from a 96-bucket log-spaced histogram (1 ms..300 s, about 14 % per bucket) whose weights halve
///   every `quantileHalfLife`: the tail for hedging, the breaker's slow-call rule and the `ttft_p90` objective.
///
/// Only successful calls are samples: a failure has no TTFT, and counting it as fast (or as a timeout) would
/// distort the estimate; failures belong to ``CircuitBreaker``. TTFT is measured from sending the request to the
/// first content token and is never divided by a token count (LiteLLM's mistake: it made the deployment slowest
/// to start look fastest).
///
/// A plain value of fixed size: `record` and `estimate` never allocate. It is not thread-safe by itself; the
/// owner keeps it behind a lock and publishes ``TTFTEstimate`` numbers (for example through atomics) to readers.
public struct TTFTEstimator: Sendable {
    /// The settings this estimator was made with.
    public let configuration: Configuration

    private var histogram: DecayingLogHistogram
    private var peakEWMA = 0.0
    private var level: LogLevelTracker
    /// Time of the newest sample (valid when `sampleCount > 0`).
    private var newestSampleAt: UInt64 = 0
    private var liveSamples = 0
    private var probeSamples = 0

    /// An estimator with no samples.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        histogram = DecayingLogHistogram(
            lowNanos: configuration.lowestNanos, highNanos: configuration.highestNanos,
            halfLifeNanos: configuration.quantileHalfLife)
        level = LogLevelTracker(halfLifeNanos: configuration.recentHalfLife, threshold: configuration.changeThreshold)
    }

    /// Every sample recorded so far.
    public var sampleCount: Int { liveSamples + probeSamples }

    /// Records the TTFT of one successful call or probe that finished its first token at `now`.
    ///
    /// Failures are not samples: report them to the ``CircuitBreaker`` instead. A sample is the whole time from
    /// sending the request to the first content token, never divided by a token count.
    public mutating func record(ttftNanos: UInt64, source: SampleSource, now: UInt64) {
        // A zero TTFT (clock granularity) would have no logarithm; a nanosecond is as good as zero here.
        let sample = Double(max(ttftNanos, 1))
        let sampleLog = RoutingMath.logBase2(sample)
        if sampleCount == 0 {
            peakEWMA = sample
            newestSampleAt = now
        } else {
            // Samples may be reported slightly out of order by concurrent requests: no time passes backwards.
            let elapsed = now > newestSampleAt ? now - newestSampleAt : 0
            let keep = RoutingMath.powerE(-Double(elapsed) / Double(max(configuration.ewmaDecay, 1)))
            peakEWMA = sample > peakEWMA ? sample : peakEWMA * keep + sample * (1 - keep)
            newestSampleAt = max(newestSampleAt, now)
        }
        level.add(sampleLog, at: now)
        histogram.add(ttftNanos, at: now)
        switch source {
        case .live: liveSamples += 1
        case .probe: probeSamples += 1
        }
    }

    /// What is known at `now`. Reading does not change the estimator: the EWMA and the level keep their values
    /// between samples (they do not drift toward zero, which would make a deployment that stopped answering look
    /// fast); age is carried by `confidence` instead.
    public func estimate(now: UInt64) -> TTFTEstimate {
        guard sampleCount > 0 else { return .none }
        let age = now > newestSampleAt ? now - newestSampleAt : 0
        let weight = histogram.effectiveWeight(at: max(now, newestSampleAt))
        let (p50, p90, p99) = histogram.quantiles(0.5, 0.9, 0.99)
        return TTFTEstimate(
            ewmaNanos: Self.nanos(peakEWMA),
            recentNanos: Self.nanos(level.medianNanos),
            meanNanos: Self.nanos(level.expectedNanos),
            p50Nanos: Self.nanos(p50),
            p90Nanos: Self.nanos(p90),
            p99Nanos: Self.nanos(p99),
            sampleCount: sampleCount,
            liveSamples: liveSamples,
            probeSamples: probeSamples,
            newestSampleAgeNanos: age,
            effectiveWeight: weight,
            confidence: confidence(weight: weight, age: age))
    }

    /// Confidence = (1 - 2^(-weight / halfConfidenceWeight)) x freshness, where freshness is 1 up to `staleAfter`
    /// and halves for every further `staleAfter`. Both parts fall with time: the weight through the histogram's
    /// decay, freshness through the newest sample's age.
    private func confidence(weight: Double, age: UInt64) -> Double {
        Self.confidence(weight: weight, age: age, configuration: configuration)
    }

    /// The confidence formula, for readers that age a published estimate without the estimator itself.
    public static func confidence(weight: Double, age: UInt64, configuration: Configuration) -> Double {
        let amount = 1 - RoutingMath.power2(-weight / max(configuration.halfConfidenceWeight, .leastNonzeroMagnitude))
        let staleAfter = max(configuration.staleAfter, 1)
        let freshness = age <= staleAfter ? 1 : RoutingMath.power2(-Double(age - staleAfter) / Double(staleAfter))
        return min(max(amount * freshness, 0), 1)
    }

    /// Rounds a positive time to whole nanoseconds, saturating instead of trapping.
    @inline(__always)
    private static func nanos(_ value: Double) -> UInt64 {
        guard value > 0 else { return 0 }
        guard value < 1.8e19 else { return UInt64.max }
        return UInt64(value.rounded())
    }
}
