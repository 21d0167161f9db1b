/// Holds the current immutable snapshot, replaced whole when the configuration changes.
///
/// A reader takes the reference under a lock, once per request, and then works on the snapshot without any:
/// the lock covers one retain. A replaced snapshot lives as long as a reader still holds it, and no longer.
/// Chosen over an atomic unmanaged pointer with deferred release (read-copy-update), which needs a grace period
/// and reasoning about it. The micro-benchmarks keep that cell as a baseline (`SnapshotBenchmarks`): this load
/// costs about twice as much as the atomic one, some tens of nanoseconds more, a small share of a whole request's
/// `plan` (more when another thread loads at the same instant, as the lock is then contended).
public final class SnapshotCell<Value: AnyObject & Sendable>: Sendable {
    private let current: Locked<Value>

    /// A cell holding `initial`.
    public init(_ initial: Value) {
        current = Locked(initial)
    }

    /// The current snapshot.
    @inline(__always)
    public func load() -> Value {
        current.withLock { $0 }
    }

    /// Makes `value` the current snapshot.
    public func publish(_ value: Value) {
        current.withLock { $0 = value }
    }
}
