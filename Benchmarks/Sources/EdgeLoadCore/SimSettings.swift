import Foundation

/// The part of a simulated provider's behaviour a schedule sets: the fields of `POST /_sim/config` that shape
/// time to first token, answers and faults. Every field is optional, so the same type holds a full state and a
/// change to one.
public struct SimSettings: Sendable, Equatable, Decodable {
    /// How the simulator draws TTFT (its own names).
    public enum Distribution: String, Sendable, Codable {
        case fixed, normal, lognormal
    }

    public var ttftMs: Double?
    public var ttftDistribution: Distribution?
    /// Standard deviation of the normal distribution.
    public var ttftSpreadMs: Double?
    /// Shape of the log-normal distribution.
    public var ttftSigma: Double?
    public var seed: UInt64?
    public var tokensPerSecond: Double?
    public var answerTokens: Int?
    /// Share of requests answered with `errorStatus` (1 is an outage).
    public var errorRate: Double?
    public var errorStatus: Int?
    /// Stop answering before the first token (an outage that only a timeout ends).
    public var hang: Bool?

    public init(
        ttftMs: Double? = nil, ttftDistribution: Distribution? = nil, ttftSpreadMs: Double? = nil,
        ttftSigma: Double? = nil, seed: UInt64? = nil, tokensPerSecond: Double? = nil, answerTokens: Int? = nil,
        errorRate: Double? = nil, errorStatus: Int? = nil, hang: Bool? = nil
    ) {
        self.ttftMs = ttftMs
        self.ttftDistribution = ttftDistribution
        self.ttftSpreadMs = ttftSpreadMs
        self.ttftSigma = ttftSigma
        self.seed = seed
        self.tokensPerSecond = tokensPerSecond
        self.answerTokens = answerTokens
        self.errorRate = errorRate
        self.errorStatus = errorStatus
        self.hang = hang
    }

    private enum Key: String, CodingKey, CaseIterable {
        case ttftMs = "ttft_ms", ttftDistribution = "ttft_distribution", ttftSpreadMs = "ttft_spread_ms"
        case ttftSigma = "ttft_sigma", seed, tokensPerSecond = "tokens_per_second", answerTokens = "answer_tokens"
        case errorRate = "error_rate", errorStatus = "error_status", hang
    }

    /// Decodes the simulator's own snake_case names; an unknown name is an error, so a typo in a schedule cannot
    /// silently leave a provider unchanged.
    public init(from decoder: any Decoder) throws {
        let names = try decoder.container(keyedBy: AnyKey.self)
        for key in names.allKeys where Key(rawValue: key.stringValue) == nil {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: names,
                debugDescription: "unknown simulator field '\(key.stringValue)' (known: \(Key.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let container = try decoder.container(keyedBy: Key.self)
        ttftMs = try container.decodeIfPresent(Double.self, forKey: .ttftMs)
        ttftDistribution = try container.decodeIfPresent(Distribution.self, forKey: .ttftDistribution)
        ttftSpreadMs = try container.decodeIfPresent(Double.self, forKey: .ttftSpreadMs)
        ttftSigma = try container.decodeIfPresent(Double.self, forKey: .ttftSigma)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
        tokensPerSecond = try container.decodeIfPresent(Double.self, forKey: .tokensPerSecond)
        answerTokens = try container.decodeIfPresent(Int.self, forKey: .answerTokens)
        errorRate = try container.decodeIfPresent(Double.self, forKey: .errorRate)
        errorStatus = try container.decodeIfPresent(Int.self, forKey: .errorStatus)
        hang = try container.decodeIfPresent(Bool.self, forKey: .hang)
    }

    /// These settings with every field `change` sets replaced.
    public func applying(_ change: SimSettings) -> SimSettings {
        SimSettings(
            ttftMs: change.ttftMs ?? ttftMs, ttftDistribution: change.ttftDistribution ?? ttftDistribution,
            ttftSpreadMs: change.ttftSpreadMs ?? ttftSpreadMs, ttftSigma: change.ttftSigma ?? ttftSigma,
            seed: change.seed ?? seed, tokensPerSecond: change.tokensPerSecond ?? tokensPerSecond,
            answerTokens: change.answerTokens ?? answerTokens, errorRate: change.errorRate ?? errorRate,
            errorStatus: change.errorStatus ?? errorStatus, hang: change.hang ?? hang)
    }

    /// The body of `POST /_sim/config`: the fields that are set, nothing else.
    public var configJSON: String {
        var fields: [(Key, String)] = []
        if let ttftMs { fields.append((.ttftMs, Self.number(ttftMs))) }
        if let ttftDistribution { fields.append((.ttftDistribution, "\"\(ttftDistribution.rawValue)\"")) }
        if let ttftSpreadMs { fields.append((.ttftSpreadMs, Self.number(ttftSpreadMs))) }
        if let ttftSigma { fields.append((.ttftSigma, Self.number(ttftSigma))) }
        if let seed { fields.append((.seed, String(seed))) }
        if let tokensPerSecond { fields.append((.tokensPerSecond, Self.number(tokensPerSecond))) }
        if let answerTokens { fields.append((.answerTokens, String(answerTokens))) }
        if let errorRate { fields.append((.errorRate, Self.number(errorRate))) }
        if let errorStatus { fields.append((.errorStatus, String(errorStatus))) }
        if let hang { fields.append((.hang, hang ? "true" : "false")) }
        return "{" + fields.map { "\"\($0.0.rawValue)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    // MARK: What the settings mean for a client

    /// Down: every request fails or hangs, so no client gets a first token from it.
    public var isDown: Bool {
        (errorRate ?? 0) >= 1 || (hang ?? false)
    }

    /// The mean TTFT these settings draw (ms), or nil while down. The mean, not the median, is what the oracle
    /// minimizes: for a log-normal, median × e^(σ²/2), so a heavy tail costs what it costs on average.
    public var expectedTTFTMs: Double? {
        guard !isDown, let ttftMs else { return nil }
        switch ttftDistribution ?? .fixed {
        case .fixed, .normal: return ttftMs
        case .lognormal: return ttftMs * exp(pow(ttftSigma ?? 0.5, 2) / 2)
        }
    }

    /// A short description for reports: `80 ms normal (sd 10)`, `60 ms log-normal σ 1 (mean 99)`, `down (503)`.
    public var summary: String {
        if hang ?? false { return "down (hangs before the first token)" }
        if (errorRate ?? 0) >= 1 { return "down (\(errorStatus ?? 503) on every request)" }
        let median = Self.number((ttftMs ?? 0).rounded())
        var text: String
        switch ttftDistribution ?? .fixed {
        case .fixed: text = "\(median) ms fixed"
        case .normal: text = "\(median) ms normal (sd \(Self.number((ttftSpreadMs ?? 10).rounded())))"
        case .lognormal:
            let mean = Self.number((expectedTTFTMs ?? 0).rounded())
            text = "\(median) ms log-normal σ \(String(format: "%g", ttftSigma ?? 0.5)) (mean \(mean))"
        }
        if let errorRate, errorRate > 0 { text += ", \(String(format: "%g", errorRate * 100)) % \(errorStatus ?? 503)" }
        return text
    }
}

/// A coding key for any name, to list the keys an object really has.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
