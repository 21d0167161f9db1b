/// The decision's output: one entry of its result, best first (see ``CandidateView`` for the three stages).
///
/// The result is written into a buffer of these rather than of bare indices: the scores need somewhere to live
/// while sorting, and a caller-provided buffer is the one place that needs no allocation. The score also explains
/// the decision (for example in a response header).
public struct RankedCandidate: Sendable, Equatable {
    /// Index of the candidate in the buffer of ``CandidateView``s given to the decision.
    public var candidate: Int32
    /// The ranking score in nanoseconds, lower is better: the TTFT estimate after the confidence blend and the
    /// load factor (see ``RoutingDecision``). Under the `price` objective it breaks ties between equal prices.
    public var scoreNanos: Double
    /// The candidate's blended price per million tokens (copied here so sorting reads one small array).
    public var pricePerMillion: Double
    /// Position of the candidate's provider in the client's `order`, or `Int32.max` when it is not listed.
    public var orderRank: Int32
    /// Whether this candidate is a breaker trial: the caller must claim it with ``CircuitBreaker/admit(now:)``
    /// before sending, and skip it if the trial went to someone else.
    public var isTrial: Bool

    /// An entry with every field given.
    public init(
        candidate: Int32, scoreNanos: Double, pricePerMillion: Double = 0, orderRank: Int32 = .max,
        isTrial: Bool = false
    ) {
        self.candidate = candidate
        self.scoreNanos = scoreNanos
        self.pricePerMillion = pricePerMillion
        self.orderRank = orderRank
        self.isTrial = isTrial
    }
}
