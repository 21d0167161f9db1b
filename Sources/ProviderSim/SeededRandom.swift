import Foundation

/// SplitMix64: a small, fast generator whose sequence is fixed by its seed, so simulated latencies repeat.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A standard normal value (Box–Muller).
    mutating func standardNormal() -> Double {
        let u1 = max(unit(), .leastNonzeroMagnitude)
        let u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// A time to first token drawn as the settings say, in milliseconds.
    mutating func ttft(_ settings: SimulatorSettings) -> Double {
        switch settings.distribution {
        case .fixed: settings.ttftMilliseconds
        case .normal: max(0, settings.ttftMilliseconds + settings.ttftSpreadMilliseconds * standardNormal())
        case .lognormal: settings.ttftMilliseconds * exp(settings.ttftSigma * standardNormal())
        }
    }
}
