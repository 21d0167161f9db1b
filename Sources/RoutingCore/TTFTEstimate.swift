/// A snapshot of what a ``TTFTEstimator`` knows about one deployment's time to first content token.
///
/// All times are nanoseconds. When there are no samples the times are 0, `newestSampleAgeNanos` is nil and
/// `confidence` is 0: readers must look at `confidence` (or ``hasData``) before trusting the times.
public struct TTFTEstimate: Sendable, Equatable {
    /// Peak-EWMA of TTFT: jumps at once to a slower sample, then decays toward faster ones (Finagle/Linkerd).
    /// A conservative "worst recent" view, shown in metrics and headers.
    public var ewmaNanos: UInt64
    /// The recent median: the geometric mean of the current level (time-decayed with half-life `recentHalfLife`,
    /// restarted when a step change is detected). Unlike the Peak-EWMA it is not pushed up by the number of
    /// samples. What the `ttft_p50` objective ranks on.
    public var recentNanos: UInt64
    /// The expected (mean) TTFT of the current level: the mean of a log-normal with the level's mean and variance
    /// of log TTFT, so a heavy tail counts and not only the median. What the default `ttft_mean` objective ranks on.
    public var meanNanos: UInt64
    /// Decayed median.
    public var p50Nanos: UInt64
    /// Decayed 90th percentile.
    public var p90Nanos: UInt64
    /// Decayed 99th percentile.
    public var p99Nanos: UInt64
    /// Every sample ever recorded (live and probe), not decayed.
    public var sampleCount: Int
    /// Samples from client requests, not decayed.
    public var liveSamples: Int
    /// Samples from background probes, not decayed.
    public var probeSamples: Int
    /// Time since the newest sample, or nil when there is none.
    public var newestSampleAgeNanos: UInt64?
    /// The decayed number of samples: each sample counts 1 when new and half as much per `quantileHalfLife`.
    public var effectiveWeight: Double
    /// How far to trust the times, in 0...1: 0 with no samples, lower with fewer (decayed) samples and with the
    /// age of the newest sample.
    public var confidence: Double

    /// An estimate with no data.
    public static let none = TTFTEstimate(
        ewmaNanos: 0, recentNanos: 0, meanNanos: 0, p50Nanos: 0, p90Nanos: 0, p99Nanos: 0, sampleCount: 0, liveSamples: 0,
        probeSamples: 0, newestSampleAgeNanos: nil, effectiveWeight: 0, confidence: 0)

    /// Creates an estimate from its parts (the estimator makes them; tests and callers that publish the numbers
    /// through atomics rebuild them with this).
    public init(
        ewmaNanos: UInt64, recentNanos: UInt64, meanNanos: UInt64, p50Nanos: UInt64, p90Nanos: UInt64, p99Nanos: UInt64,
        sampleCount: Int, liveSamples: Int, probeSamples: Int, newestSampleAgeNanos: UInt64?,
        effectiveWeight: Double, confidence: Double
    ) {
        self.ewmaNanos = ewmaNanos
        self.recentNanos = recentNanos
        self.meanNanos = meanNanos
        self.p50Nanos = p50Nanos
        self.p90Nanos = p90Nanos
        self.p99Nanos = p99Nanos
        self.sampleCount = sampleCount
        self.liveSamples = liveSamples
        self.probeSamples = probeSamples
        self.newestSampleAgeNanos = newestSampleAgeNanos
        self.effectiveWeight = effectiveWeight
        self.confidence = confidence
    }

    /// Whether any sample was ever recorded.
    public var hasData: Bool { sampleCount > 0 }
}
