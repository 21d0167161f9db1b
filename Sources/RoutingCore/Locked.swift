#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A value that can be touched only under its lock: a pthread mutex, for state shared across event loops.
///
/// A pthread mutex rather than `Synchronization.Mutex`: these locks are contended across event loops, and the
/// thread sanitizer cannot see a contended `Mutex`'s hand-off on Linux (it goes through the kernel with a futex),
/// so it would report every pair of critical sections as a race. Uncontended, both cost about the same.
///
/// `@unchecked Sendable` is safe because `value` is read and written only in ``withLock(_:)``, between
/// `pthread_mutex_lock` and `pthread_mutex_unlock` of `mutex`.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// A lock guarding `value`.
    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, under the lock.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock()
        defer { unlock() }
        return try body(&value)
    }

    private func lock() {
        let status = pthread_mutex_lock(mutex)
        precondition(status == 0, "pthread_mutex_lock failed: \(status)")
    }

    private func unlock() {
        let status = pthread_mutex_unlock(mutex)
        precondition(status == 0, "pthread_mutex_unlock failed: \(status)")
    }
}
