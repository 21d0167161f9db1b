/// What a deployment looked like at one sampling instant: one point of its history.
struct StatusSample: Sendable {
    /// When the sample was taken.
    var at: ContinuousClock.Instant
    /// Whether the estimate had any data then (the times are 0 when not).
    var hasEstimate: Bool
    /// Expected TTFT (the mean of the current level), nanoseconds.
    var expectedNanos: UInt64
    var p50Nanos: UInt64
    var p90Nanos: UInt64
    var p99Nanos: UInt64
    /// The breaker state's code: 0 closed, 1 open, 2 half-open, 3 rate-limited (as `edge_breaker_state_code`).
    var breakerCode: Int
    /// Cumulative counters, read back as rates over a window.
    var decisions: Int
    var failovers: Int
    /// Hedges of the deployment's model (the counter is per model).
    var modelHedges: Int
}
