import Foundation

/// How a simulated provider behaves: latency, answer shape and faults. Changed at run time through
/// `POST /_sim/config` with any subset of these fields (snake_case in JSON).
public struct SimulatorSettings: Sendable, Equatable {
    /// How time to first token is drawn.
    public enum Distribution: String, Sendable {
        /// Always `ttftMilliseconds`.
        case fixed
        /// Normal around `ttftMilliseconds` with standard deviation `ttftSpreadMilliseconds`.
        case normal
        /// Log-normal with median `ttftMilliseconds` and shape `ttftSigma` (heavy-tailed, like real providers).
        case lognormal
    }

    /// Median (or fixed) time to the first content token.
    public var ttftMilliseconds: Double = 50
    public var distribution: Distribution = .fixed
    /// Standard deviation for the normal distribution.
    public var ttftSpreadMilliseconds: Double = 10
    /// Shape for the log-normal distribution.
    public var ttftSigma: Double = 0.5
    /// Seed of the random generator, so runs repeat.
    public var seed: UInt64 = 1
    /// Generation speed after the first token.
    public var tokensPerSecond: Double = 100
    /// Content tokens per answer.
    public var answerTokens: Int = 16
    /// Prompt tokens reported in usage; nil estimates them from the request size.
    public var promptTokens: Int?
    /// Send a role-only chunk right after the head, as OpenAI does.
    public var roleChunk = true
    /// Share of requests answered with `errorStatus` instead (0...1).
    public var errorRate: Double = 0
    /// Status of injected errors.
    public var errorStatus: Int = 503
    /// `Retry-After` seconds sent with injected 429s (and 503s).
    public var retryAfterSeconds: Int?
    /// Stop answering before the first token (the connection stays open).
    public var hang = false
    /// Close the connection after this many content tokens, without finishing the stream.
    public var cutAfterTokens: Int?
    /// Share of content frames replaced by malformed JSON (0...1).
    public var malformedRate: Double = 0
    /// Answer with 401, as a provider does for a wrong API key, unless the request has this key (in the dialect's
    /// own header: `Authorization: Bearer`, `x-api-key`, or `x-goog-api-key` / `?key=`).
    public var requiredAPIKey: String?
    /// The provider API spoken: OpenAI chat completions, Anthropic Messages or Google Gemini. Requests on another
    /// dialect's endpoints are answered 404, as the real provider would.
    public var dialect: SimulatorDialect = .openai
    /// Send an in-stream error (after HTTP 200) in place of content token number `streamErrorAfterTokens`, then
    /// end the stream: Anthropic's `error` event (`overloaded_error`), an OpenAI `{"error":...}` frame, a Gemini
    /// `{"error":{"status":"UNAVAILABLE"}}` frame. Nil is off. Counted `failed`.
    public var streamErrorAfterTokens: Int?
    /// Prompt tokens reported as read from the provider's prompt cache (OpenAI
    /// `prompt_tokens_details.cached_tokens`, Anthropic `cache_read_input_tokens`, Gemini
    /// `cachedContentTokenCount`); 0 is no caching, and then none of those fields changes.
    public var cachedPromptTokens: Int = 0
    /// Thinking (reasoning) tokens streamed before the answer when a request asks for them (OpenAI
    /// `reasoning_effort`, Anthropic `thinking: {type: enabled}`, Gemini `thinkingConfig.includeThoughts`).
    public var thinkingTokens: Int = 8

    /// The defaults, speaking `dialect`.
    public init(dialect: SimulatorDialect = .openai) {
        self.dialect = dialect
    }

    /// Applies the fields present in a JSON object; unknown fields and wrong types are errors naming the field.
    public mutating func apply(json: [String: Any]) throws -> Void {
        for (key, value) in json {
            switch key {
            case "ttft_ms": ttftMilliseconds = try Self.number(value, key, min: 0)
            case "ttft_distribution":
                guard let name = value as? String, let parsed = Distribution(rawValue: name) else {
                    throw SimulatorError("ttft_distribution must be fixed, normal or lognormal")
                }
                distribution = parsed
            case "ttft_spread_ms": ttftSpreadMilliseconds = try Self.number(value, key, min: 0)
            case "ttft_sigma": ttftSigma = try Self.number(value, key, min: 0)
            case "seed": seed = UInt64(try Self.whole(value, key, min: 0))
            case "tokens_per_second": tokensPerSecond = try Self.number(value, key, min: 0.001)
            case "answer_tokens": answerTokens = try Self.whole(value, key, min: 0)
            case "prompt_tokens": promptTokens = value is NSNull ? nil : try Self.whole(value, key, min: 0)
            case "role_chunk": roleChunk = try Self.bool(value, key)
            case "error_rate": errorRate = min(try Self.number(value, key, min: 0), 1)
            case "error_status": errorStatus = try Self.whole(value, key, min: 100, max: 999)
            case "retry_after_s": retryAfterSeconds = value is NSNull ? nil : try Self.whole(value, key, min: 0)
            case "hang": hang = try Self.bool(value, key)
            case "cut_after_tokens": cutAfterTokens = value is NSNull ? nil : try Self.whole(value, key, min: 0)
            case "malformed_rate": malformedRate = min(try Self.number(value, key, min: 0), 1)
            case "required_api_key": requiredAPIKey = value is NSNull ? nil : value as? String
            case "dialect":
                guard let name = value as? String, let parsed = SimulatorDialect(rawValue: name) else {
                    throw SimulatorError("dialect must be openai, anthropic or gemini")
                }
                dialect = parsed
            case "stream_error_after_tokens":
                streamErrorAfterTokens = value is NSNull ? nil : try Self.whole(value, key, min: 0)
            case "cached_prompt_tokens": cachedPromptTokens = try Self.whole(value, key, min: 0)
            case "thinking_tokens": thinkingTokens = try Self.whole(value, key, min: 0, max: 1 << 20)
            default: throw SimulatorError("unknown field '\(key)'")
            }
        }
    }

    /// The settings as JSON, in the field names `apply(json:)` takes.
    public var json: [String: Any] {
        [
            "ttft_ms": ttftMilliseconds, "ttft_distribution": distribution.rawValue,
            "ttft_spread_ms": ttftSpreadMilliseconds, "ttft_sigma": ttftSigma, "seed": seed,
            "tokens_per_second": tokensPerSecond, "answer_tokens": answerTokens,
            "prompt_tokens": promptTokens.map { $0 as Any } ?? NSNull(), "role_chunk": roleChunk,
            "error_rate": errorRate, "error_status": errorStatus,
            "retry_after_s": retryAfterSeconds.map { $0 as Any } ?? NSNull(), "hang": hang,
            "cut_after_tokens": cutAfterTokens.map { $0 as Any } ?? NSNull(), "malformed_rate": malformedRate,
            "dialect": dialect.rawValue,
            "stream_error_after_tokens": streamErrorAfterTokens.map { $0 as Any } ?? NSNull(),
            "cached_prompt_tokens": cachedPromptTokens, "thinking_tokens": thinkingTokens,
        ]
    }

    private static func number(_ value: Any, _ key: String, min: Double) throws -> Double {
        guard let number = value as? NSNumber, number.objCType.pointee != CChar(UInt8(ascii: "c")),
            number.doubleValue.isFinite, number.doubleValue >= min
        else { throw SimulatorError("\(key) must be a number of at least \(min)") }
        return number.doubleValue
    }

    /// A whole number in `min...max`: the JSON number is a Double, and converting one out of range would trap.
    private static func whole(_ value: Any, _ key: String, min: Int, max: Int = 1 << 40) throws -> Int {
        let number = try Self.number(value, key, min: Double(min))
        guard number <= Double(max), let whole = Int(exactly: number.rounded(.down)) else {
            throw SimulatorError("\(key) must be a whole number between \(min) and \(max)")
        }
        return whole
    }

    private static func bool(_ value: Any, _ key: String) throws -> Bool {
        guard let number = value as? NSNumber, number.objCType.pointee == CChar(UInt8(ascii: "c")) else {
            throw SimulatorError("\(key) must be true or false")
        }
        return number.boolValue
    }
}

/// A bad `/_sim/config` request.
public struct SimulatorError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
