/// Where a time-to-first-token sample came from.
public enum SampleSource: UInt8, Sendable {
    /// A client request served through the router.
    case live
    /// A background probe (a tiny prompt sent to learn a deployment's TTFT without spending user requests).
    case probe
}
