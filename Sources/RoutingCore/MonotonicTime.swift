import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Nanoseconds of the monotonic clock: the time base of estimators, breakers and the routing decision, kept as
/// a plain `UInt64` so it can be published through atomics and passed into pure functions.
public enum MonotonicTime {
    /// Now, in nanoseconds since an arbitrary fixed point (boot).
    @inline(__always)
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// A `Duration` in nanoseconds, saturating.
    public static func nanos(_ duration: Duration) -> UInt64 {
        UInt64(clamping: duration.nanoseconds)
    }
}
