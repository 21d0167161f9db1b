import Synchronization

/// Caps hedged requests at a share of all requests, shared by every request of a process without a lock.
///
/// A token bucket in fixed point: each request adds `share` of a token (up to `burst` tokens), each hedge spends
/// one. Over any run of N requests at most `share` x N + `burst` hedges are granted. It starts full, so a node
/// that just started may hedge its first slow requests. Both operations are a compare-and-swap loop on one
/// atomic with relaxed ordering: the counter guards no other memory.
public final class HedgeBudget: Sendable {
    /// The budget's size.
    public struct Configuration: Sendable, Equatable {
        /// Hedges allowed per request, in 0...1. Default 0.05 (at most 5 % extra upstream requests; some
        /// providers bill cancelled prompts).
        public var share: Double
        /// Hedges that may be spent at once after a quiet spell. Default 10.
        public var burst: Int

        /// The defaults above, each overridable.
        public init(share: Double = 0.05, burst: Int = 10) {
            self.share = share
            self.burst = burst
        }
    }

    /// Fixed-point units of one hedge token (2^20: shares down to one in a million are exact enough).
    private static let unitsPerHedge: UInt64 = 1 << 20

    /// The settings this budget was made with.
    public let configuration: Configuration
    private let unitsPerRequest: UInt64
    private let capacityUnits: UInt64
    private let units: Atomic<UInt64>

    /// A full budget.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        let share = min(max(configuration.share, 0), 1)
        // Rounded down, so the granted share never exceeds the configured one.
        unitsPerRequest = UInt64((share * Double(Self.unitsPerHedge)).rounded(.down))
        capacityUnits = UInt64(max(configuration.burst, 0)) * Self.unitsPerHedge
        units = Atomic(capacityUnits)
    }

    /// Adds one request's share of a hedge token. Call once per routed request (not per hedge).
    public func noteRequest() {
        var current = units.load(ordering: .relaxed)
        while current < capacityUnits {
            let next = min(current + unitsPerRequest, capacityUnits)
            let (exchanged, original) = units.weakCompareExchange(
                expected: current, desired: next, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Spends one hedge token if there is one; returns whether the hedge may go.
    public func tryAcquireHedge() -> Bool {
        var current = units.load(ordering: .relaxed)
        while current >= Self.unitsPerHedge {
            let (exchanged, original) = units.weakCompareExchange(
                expected: current, desired: current - Self.unitsPerHedge, successOrdering: .relaxed,
                failureOrdering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Hedge tokens now available (fractional), for metrics.
    public var availableHedges: Double {
        Double(units.load(ordering: .relaxed)) / Double(Self.unitsPerHedge)
    }
}
