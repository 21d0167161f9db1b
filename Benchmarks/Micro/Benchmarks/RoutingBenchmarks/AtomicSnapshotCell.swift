import Synchronization

// The replaced implementation, kept for comparison: `SnapshotCell` as it was before the module split (commit
// 3d46365, `Sources/EdgeRouter/Routing/SnapshotCell.swift`), renamed and otherwise unchanged, so that
// `SnapshotBenchmarks` measures the old and the new cell side by side in the same run. Not used by the router.

/// Holds the current immutable snapshot and swaps in a new one atomically, readable without a lock.
///
/// The reference is kept as an atomic word (an unmanaged pointer). A reader loads it and uses the object for the
/// length of one decision; a replaced snapshot is therefore not released at once but retired, and freed on a
/// later publication once it has been retired for longer than `grace` — far longer than any decision runs. This
/// is read-copy-update with a time-based grace period: readers never lock, writers (configuration changes,
/// rare and off the request path) do.
final class AtomicSnapshotCell<Value: AnyObject & Sendable>: Sendable {
    private let current: Atomic<UInt>
    private let retired = Mutex<[(value: Unmanaged<Value>, at: ContinuousClock.Instant)]>([])
    private let grace: Duration

    init(_ initial: Value, grace: Duration = .seconds(60)) {
        current = Atomic(UInt(bitPattern: Unmanaged.passRetained(initial).toOpaque()))
        self.grace = grace
    }

    /// The current snapshot.
    @inline(__always)
    func load() -> Value {
        let bits = current.load(ordering: .acquiring)
        // The pointer is never zero and stays valid for at least `grace` after it is replaced.
        return Unmanaged<Value>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeUnretainedValue()
    }

    /// Makes `value` the current snapshot.
    func publish(_ value: Value) {
        let bits = UInt(bitPattern: Unmanaged.passRetained(value).toOpaque())
        let old = current.exchange(bits, ordering: .acquiringAndReleasing)
        let now = ContinuousClock.now
        let expired = retired.withLock { retired in
            retired.append((Unmanaged<Value>.fromOpaque(UnsafeRawPointer(bitPattern: old)!), now))
            let (keep, free) = (retired.filter { now - $0.at < grace }, retired.filter { now - $0.at >= grace })
            retired = keep
            return free
        }
        for entry in expired { entry.value.release() }
    }

    deinit {
        Unmanaged<Value>.fromOpaque(UnsafeRawPointer(bitPattern: current.load(ordering: .acquiring))!).release()
        for entry in retired.withLock({ $0 }) { entry.value.release() }
    }
}
