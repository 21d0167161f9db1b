import NIOCore
import NIOHTTP1

/// How one chat request will be answered, drawn under the lock from the settings and the seeded generator.
struct ChatPlan {
    var settings: SimulatorSettings
    var ttft: TimeAmount
    /// The injected error status, if this request fails.
    var failWith: Int?
    /// Per content token, whether it is sent as malformed JSON (empty when `malformed_rate` is 0).
    var malformed: [Bool]
    var id: String
    /// The request's number (ids in every dialect are made from it).
    var sequence: Int

    /// The time between two content tokens (whole microseconds, as the simulator always had it).
    var gap: TimeAmount { .microseconds(ProviderSimulator.microseconds(1_000_000 / settings.tokensPerSecond)) }
}

extension ProviderSimulator {
    /// A drawn or configured time in whole microseconds, at most a day: a log-normal draw or a setting of 1e300
    /// must not trap in the conversion.
    static func microseconds(_ value: Double) -> Int64 {
        guard value > 0 else { return 0 }
        return value < 86_400e6 ? Int64(value) : 86_400_000_000
    }

    /// Counts a received chat request, keeps its headers for ``lastChatHeaders`` and draws its fate; the draws are
    /// in the same order as they always were, so a seed gives the same latencies and faults as before.
    func plan(headers: HTTPHeaders, embedding: Bool = false) -> ChatPlan {
        state.withLockedValue { state in
            // A reference to the parsed headers, not a copy: the hot path pays one retain.
            state.lastChatHeaders = headers
            state.stats.received += 1
            if embedding { state.stats.embeddings += 1 }
            state.sequence += 1
            let settings = state.settings
            let fail = settings.errorRate > 0 && state.random.unit() < settings.errorRate
            let ttft = state.random.ttft(settings)
            var malformed: [Bool] = []
            if settings.malformedRate > 0 {
                malformed = (0..<settings.answerTokens).map { _ in state.random.unit() < settings.malformedRate }
            }
            if fail { state.stats.failed += 1 } else { state.stats.inFlight += 1 }
            return ChatPlan(
                settings: settings, ttft: .microseconds(Self.microseconds(ttft * 1000)), failWith: fail ? settings.errorStatus : nil,
                malformed: malformed, id: "chatcmpl-sim\(state.sequence)",
                sequence: state.sequence)
        }
    }

    /// Counts how a planned request (one not failed by injection) ended.
    func end(_ how: RequestEnd) {
        state.withLockedValue { state in
            var stats = state.stats
            stats.inFlight -= 1
            switch how {
            case .completed: stats.completed += 1
            case .cancelled: stats.cancelled += 1
            case .cut: stats.cut += 1
            case .failed: stats.failed += 1
            }
            // One assignment, so waiters are checked once.
            state.stats = stats
        }
    }
}
