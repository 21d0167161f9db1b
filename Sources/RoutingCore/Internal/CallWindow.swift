/// The outcomes of the last `size` (at most 64) calls, as two 64-bit shift registers: no heap, O(1) to update.
///
/// Each new call shifts in at bit 0 and the oldest falls off the top, so unlike a fixed array that is written
/// round-robin (or LiteLLM's window that kept overwriting its last slot) every slot really holds one of the most
/// recent calls.
public struct CallWindow: Sendable, Equatable {
    /// How many calls the window holds (1...64).
    public let size: Int
    private let mask: UInt64
    private var failures: UInt64 = 0
    private var slowCalls: UInt64 = 0
    /// Calls recorded since the last reset, capped at `size`.
    private(set) var count = 0

    /// An empty window of `size` calls, clamped to 1...64.
    public init(size: Int) {
        self.size = min(max(size, 1), 64)
        mask = self.size == 64 ? .max : (UInt64(1) << UInt64(self.size)) - 1
    }

    /// Adds one call.
    public mutating func add(failed: Bool, slow: Bool) {
        failures = ((failures << 1) | (failed ? 1 : 0)) & mask
        slowCalls = ((slowCalls << 1) | (slow ? 1 : 0)) & mask
        count = min(count + 1, size)
    }

    /// Failed calls in the window.
    public var failureCount: Int { failures.nonzeroBitCount }
    /// Slow calls in the window.
    public var slowCount: Int { slowCalls.nonzeroBitCount }

    /// Forgets every call.
    public mutating func reset() {
        failures = 0
        slowCalls = 0
        count = 0
    }
}
