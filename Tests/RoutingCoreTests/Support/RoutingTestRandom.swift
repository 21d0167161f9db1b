#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded generator (SplitMix64), so synthetic latency streams are the same on every run.
struct RoutingTestRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Uniform in (0, 1): never 0, so its logarithm is finite.
    mutating func unit() -> Double {
        (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    /// Standard normal (Box-Muller).
    mutating func normal() -> Double {
        let radius = (-2 * log(unit())).squareRoot()
        return radius * cos(2 * Double.pi * unit())
    }

    /// Log-normal with the given median and log-space standard deviation, in nanoseconds.
    mutating func logNormalNanos(median: Double, sigma: Double) -> UInt64 {
        UInt64(median * exp(sigma * normal()))
    }
}

/// Nanosecond helpers for readable test times.
enum TestTime {
    static func ms(_ milliseconds: Double) -> UInt64 { UInt64(milliseconds * 1e6) }
    static func seconds(_ seconds: Double) -> UInt64 { UInt64(seconds * 1e9) }
    /// A clock origin far from zero, as a real monotonic clock would be.
    static let origin: UInt64 = 1_000 * 1_000_000_000
}

/// The value of `e^x`, for expected quantiles in tests.
func testExp(_ x: Double) -> Double { exp(x) }
