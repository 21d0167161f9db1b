#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few C math functions the estimators need. The standard library has no `exp2`/`log2`, and the platform's
/// libm is enough (Foundation is not needed); keeping the import in this one file keeps it out of the others.
public enum RoutingMath {
    /// 2 raised to `exponent`.
    @inline(__always)
    public static func power2(_ exponent: Double) -> Double { exp2(exponent) }

    /// Base-2 logarithm of `value` (which must be positive).
    @inline(__always)
    public static func logBase2(_ value: Double) -> Double { log2(value) }

    /// `base` raised to `exponent`.
    @inline(__always)
    public static func power(_ base: Double, _ exponent: Double) -> Double { pow(base, exponent) }

    /// e raised to `exponent`.
    @inline(__always)
    public static func powerE(_ exponent: Double) -> Double { exp(exponent) }
}

/// Nanosecond constants, so that defaults read as durations (usable from public default arguments).
@usableFromInline
enum RoutingTime {
    /// One millisecond in nanoseconds.
    @usableFromInline static let millisecond: UInt64 = 1_000_000
    /// One second in nanoseconds.
    @usableFromInline static let second: UInt64 = 1_000_000_000
}
