/// Where one deployment's TTFT is now, in log space: a time-decayed mean and variance of log2(TTFT) that forget
/// slowly between changes, and a two-sided CUSUM (Page's cumulative sum) that notices a step change within a
/// few samples and restarts the estimate from the samples that showed it.
///
/// Why both: a slow memory keeps the estimate steady when samples are noisy (a log-normal provider's single slow
/// or fast draw must not flip the routing), while a provider that slows from 60 to 500 ms, or a slow one that
/// becomes fast, must be seen within two or three samples, whether those arrive ten a second (live traffic) or
/// one every few seconds (probes). Each sample's distance from the current level is measured in the level's own
/// spread (a z-score, clipped so that one wild sample counts for a bounded number of spreads); the CUSUM adds up
/// how far successive samples lie beyond `slack` spreads on the same side, and a sum past `threshold` is a change.
/// The new level is then made of the run of samples that lay beyond `slack` on that side (which the CUSUM
/// blamed), and the old spread is kept as the prior for the new level's variance.
///
/// The clip is lopsided on purpose. A slower level needs at least two samples (clip 4: each adds at most 3 to a
/// threshold of 5, so two samples must each lie more than 3.5 spreads above): one slow answer (a retransmit, a
/// pause) must not make the best provider look slow, for once it has lost its traffic only probes would tell that
/// it was a fluke. A faster level may be seen in one sample lying more than 6 spreads below (clip 7; for a
/// log-normal a chance of about 1 in a billion): that is how a provider that only gets a probe every few seconds
/// is retaken when it becomes fast, and if it was a fluke the live traffic it then gets shows so within a few
/// samples. So a provider slowing from 60 to 500 ms (spread 0.5) is caught by its second or third slow sample,
/// and one at 150 +- 20 ms whose probe answers in 40 ms by that probe. A slack of a whole spread keeps noise from
/// adding up: ten minutes of samples ten a second from an unchanging log-normal raise no change. After a change
/// the next ``samplesBeforeTesting`` samples only build the new level.
///
/// Memory between changes: a sample's weight halves every `halfLife` of time, but never faster than every
/// ``sampleHalfLife`` samples, so a deployment that only gets a probe every few seconds keeps a dozen or so
/// samples in its level instead of the last few (a heavy tail needs them), while one with live traffic forgets
/// by time.
///
/// A plain value of fixed size; updating and reading never allocate.
public struct LogLevelTracker: Sendable {
    /// The samples after a change (or the first sample) that only build the level before the CUSUM runs again.
    public static let samplesBeforeTesting = 3
    /// Deviations within this many spreads of the level do not add to the CUSUM (Page's reference value k).
    public static let slack = 1.0
    /// Largest deviation one sample may count for, in spreads, above and below the level (see above): a 10-second
    /// stall counts no more than a merely slow answer.
    public static let clipAbove = 4.0
    public static let clipBelow = 7.0
    /// The fewest samples over which a sample's weight halves, however far apart they come.
    public static let sampleHalfLife = 16.0
    /// 2^(-1 / sampleHalfLife): the least weight a sample keeps when the next one arrives.
    private static let leastKeep = 0.957_603_280_698_573_6
    /// Smallest spread used to measure deviations (0.1 in natural-log units, about 10 %): a deployment with almost
    /// constant TTFT would otherwise see a change in every millisecond of jitter.
    public static let spreadFloor = 0.1 / ln2
    /// The spread assumed before any is known (0.5 in natural-log units, a typical hosted model's), and how many
    /// samples it counts as.
    public static let priorSpread = 0.5 / ln2
    public static let priorWeight = 1.0
    /// Natural logarithm of 2: log2 units times this are natural-log units.
    public static let ln2 = 0.693_147_180_559_945_3

    /// Samples (count, sum and sum of squares of log2 values) of a run that lay beyond `slack` on one side.
    private struct Run: Sendable {
        var count = 0.0
        var sum = 0.0
        var squares = 0.0

        mutating func add(_ value: Double) {
            count += 1
            sum += value
            squares += value * value
        }
    }

    /// Time after which a sample's weight in the level has halved, in nanoseconds.
    private let halfLife: Double
    /// CUSUM sum that signals a change (Page's h), in spreads.
    private let threshold: Double

    /// Decayed number of samples in the current level.
    private(set) var weight = 0.0
    /// Decayed mean of log2(TTFT in nanoseconds).
    private(set) var mean = 0.0
    /// Decayed sum of squared deviations from `mean` (West's weighted update of Welford's algorithm).
    private var squares = 0.0
    private var priorVariance = LogLevelTracker.priorSpread * LogLevelTracker.priorSpread
    private var updatedAt: UInt64 = 0
    private var upward = 0.0
    private var downward = 0.0
    private var upRun = Run()
    private var downRun = Run()
    private var samplesSinceChange = 0
    /// Changes detected so far.
    private(set) var changes = 0

    public init(halfLifeNanos: UInt64, threshold: Double) {
        halfLife = Double(max(halfLifeNanos, 1))
        self.threshold = max(threshold, 0)
    }

    /// Variance of log2(TTFT) in the current level, shrunk toward the prior while the level has few samples.
    public var variance: Double {
        (squares + Self.priorWeight * priorVariance) / (weight + Self.priorWeight)
    }

    /// The expected TTFT in nanoseconds if log TTFT is normal with this level's mean and variance: for X = 2^L with
    /// L ~ N(m, v), E[X] = 2^(m + v ln2 / 2). Unlike the median (2^m) it counts a heavy tail.
    public var expectedNanos: Double {
        RoutingMath.power2(mean + variance * Self.ln2 / 2)
    }

    /// The median TTFT in nanoseconds of the current level (its geometric mean).
    public var medianNanos: Double { RoutingMath.power2(mean) }

    /// Adds one sample, `value` = log2(TTFT in nanoseconds), taken at `now`.
    public mutating func add(_ value: Double, at now: UInt64) {
        // Samples may be reported slightly out of order by concurrent requests: no time passes backwards.
        let elapsed = now > updatedAt ? Double(now - updatedAt) : 0
        let keep = weight > 0 ? max(RoutingMath.power2(-elapsed / halfLife), Self.leastKeep) : 0
        let kept = weight * keep
        samplesSinceChange += 1

        var deviation = 0.0
        if weight > 0, samplesSinceChange > Self.samplesBeforeTesting {
            // The spread of the next sample around an estimated mean: the level's own, widened by the mean's error.
            let spread = max((variance * (1 + 1 / max(kept, 1))).squareRoot(), Self.spreadFloor)
            deviation = min(max((value - mean) / spread, -Self.clipBelow), Self.clipAbove)
            upward = max(0, upward + deviation - Self.slack)
            downward = max(0, downward - deviation - Self.slack)
        }
        if deviation > Self.slack { upRun.add(value) } else { upRun = Run() }
        if deviation < -Self.slack { downRun.add(value) } else { downRun = Run() }

        let previousVariance = variance
        let total = kept + 1
        let delta = value - mean
        mean = weight > 0 ? mean + delta / total : value
        squares = squares * keep + kept / total * delta * delta
        weight = total
        updatedAt = max(updatedAt, now)

        if upward > threshold {
            restart(from: upRun, previousVariance: previousVariance)
        } else if downward > threshold {
            restart(from: downRun, previousVariance: previousVariance)
        }
    }

    /// A change: the level is rebuilt from the run of samples that showed it, the old spread kept as the prior.
    private mutating func restart(from run: Run, previousVariance: Double) {
        if run.count > 0 {
            mean = run.sum / run.count
            squares = max(run.squares - run.count * mean * mean, 0)
            weight = run.count
        }
        priorVariance = previousVariance
        upward = 0
        downward = 0
        upRun = Run()
        downRun = Run()
        samplesSinceChange = 0
        changes += 1
    }
}
