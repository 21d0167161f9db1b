/// How `edge-load` chooses where each request goes when it has several targets.
public enum TargetStrategy: String, Sendable, CaseIterable {
    /// One URL (a proxy that does its own routing, or a single upstream).
    case url
    /// Client-side round-robin over the simulators: no health checks, no retries (the naive baseline).
    case roundRobin = "round-robin"
    /// Client-side, the simulator the schedule says is fastest at the request's start (the best in hindsight).
    case oracle
}

/// Picks a target for a request from its scheduled start; a plain value, so it is tested on its own.
///
/// Each worker has its own picker; with several workers round-robin rotates per worker, which is still an even
/// rotation overall.
public struct TargetPicker: Sendable {
    private let strategy: TargetStrategy
    private let count: Int
    /// Oracle: the target of each phase, the target within `guardNanos` of the start of each phase from the
    /// second, and the phase length in nanoseconds.
    private let choices: [Int]
    private let handovers: [Int]
    private let phaseNanos: Int64
    private let guardNanos: Int64
    private var next = 0

    /// How close to a phase change the oracle uses the handover choice: more than a change takes to land.
    public static let handoverGuardSeconds = 0.1

    /// - Parameters:
    ///   - choices: for the oracle, the target index of each phase of the window.
    ///   - handovers: for the oracle, the target index around the start of each phase from the second (one fewer
    ///     than `choices`): a provider up on both sides of the change.
    public init(
        strategy: TargetStrategy, targets: Int, choices: [Int] = [], handovers: [Int] = [], phaseSeconds: Double = 1
    ) {
        self.strategy = strategy
        self.count = max(targets, 1)
        self.choices = choices
        self.handovers = handovers
        self.phaseNanos = max(Int64(phaseSeconds * 1e9), 1)
        self.guardNanos = Int64(Self.handoverGuardSeconds * 1e9)
    }

    /// The target of a request due `offsetNanos` after the window opens (negative during the warm-up).
    public mutating func pick(offsetNanos: Int64) -> Int {
        switch strategy {
        case .url:
            return 0
        case .roundRobin:
            defer { next = (next + 1) % count }
            return next
        case .oracle:
            guard !choices.isEmpty else { return 0 }
            // The nearest phase start from the second, and whether the request is within the guard of it.
            let boundary = Int((offsetNanos + phaseNanos / 2) / phaseNanos)
            if boundary >= 1, boundary <= handovers.count,
                abs(offsetNanos - Int64(boundary) * phaseNanos) < guardNanos
            {
                return handovers[boundary - 1]
            }
            let phase = offsetNanos < 0 ? 0 : Int(offsetNanos / phaseNanos)
            return choices[min(phase, choices.count - 1)]
        }
    }
}
