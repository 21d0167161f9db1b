/// Holds the current immutable snapshot, replaced whole when the configuration changes.
///
/// A reader takes the reference under a lock, once per request, and then works on the snapshot without any:
/// the lock covers one retain. A replaced snapshot lives as long as a reader still holds it, and no longer.
/// Chosen over an atomic unmanaged pointer with deferred release (read-copy-update) by the `plan` benchmark,
/// which put the two within noise of each other; this one needs no grace period and no reasoning about it.
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
