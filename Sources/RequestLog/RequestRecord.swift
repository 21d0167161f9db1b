/// One client request on record: written once, after the request ended, whatever the number of attempts behind it.
///
/// Rows are keyed by ``requestID``, so writing the same record twice (a batch replayed after a failed commit, or
/// spooled and drained later) keeps one row.
public struct RequestRecord: Sendable, Equatable {
    /// The router's request id (`x-edge-request-id`).
    public var requestID: String
    /// When the request's head arrived, in milliseconds since the Unix epoch.
    public var receivedAtMs: Int64
    /// The gateway key's id (never the key); nil when the request was refused before it was authenticated.
    public var keyID: String?
    /// The client's dialect: `openai`, `anthropic` or `gemini`.
    public var dialect: String
    /// The endpoint's path, without its query.
    public var endpoint: String
    /// The model the client asked for, as it named it.
    public var model: String
    /// Whether the client asked for a stream.
    public var stream: Bool
    /// The deployment that answered: its provider id, upstream model and region; nil when none answered.
    public var provider: String?
    public var upstreamModel: String?
    public var region: String?
    /// Upstream attempts made, the answering one included.
    public var attempts: Int
    /// Each failed attempt's provider and cause, in order.
    public var failures: [AttemptFailure]
    /// Whether a hedge was sent.
    public var hedged: Bool
    /// Why the answering deployment was chosen (`x-edge-route-reason`).
    public var routeReason: String?
    /// Time to the first token the client was sent, the first byte of the upstream answer, and the whole request,
    /// in milliseconds from the head's arrival.
    public var ttftMs: Double?
    public var firstByteMs: Double?
    public var durationMs: Double
    /// The status the client was answered with (200 for a stream cut after its head: see ``errorType``).
    public var status: Int
    /// The error's type when the request failed, before or after its head (`stream_interrupted`, `cancelled`...).
    public var errorType: String?
    /// Tokens, as the provider counted them or, when ``usageEstimated``, as estimated from the streamed text.
    public var tokens: Tokens
    /// The provider sent no usage for what was delivered: ``tokens`` are the router's estimate.
    public var usageEstimated: Bool
    /// Cost in US dollars from the deployment's configured prices.
    public var costUSD: Double
    /// Where the client is, when known: ISO country code and autonomous system number.
    public var country: String?
    public var asn: Int?
    /// The client's metadata (header `x-edge-metadata` over the key's defaults, and the body's user fields), as a
    /// JSON object of strings, numbers and booleans.
    public var metadataJSON: String
    /// Times the client came back for the answer (resumable streams); the provider was called once.
    public var resumes: Int
    /// What the response cache did for the request: `hit`, `miss` or `coalesced` (it followed an identical
    /// request's answer); nil when the request was not cacheable.
    public var cacheStatus: String?
    /// For a hit, what the answer cost when it was fetched: the spend the cache saved (the hit's own cost is 0).
    public var costSavedUSD: Double
    /// The request and answer bodies, only for keys that opt in (`log_bodies`), cut at their caps.
    public var requestBody: String?
    public var responseBody: String?

    /// One failed attempt.
    public struct AttemptFailure: Sendable, Equatable, Codable {
        public var provider: String
        public var cause: String

        public init(provider: String, cause: String) {
            self.provider = provider
            self.cause = cause
        }
    }

    /// Token counts by kind.
    public struct Tokens: Sendable, Equatable {
        /// Prompt tokens, cached ones included.
        public var input: Int
        /// Completion tokens, reasoning included.
        public var output: Int
        public var cacheRead: Int
        public var cacheWrite: Int
        public var reasoning: Int

        public init(input: Int = 0, output: Int = 0, cacheRead: Int = 0, cacheWrite: Int = 0, reasoning: Int = 0) {
            self.input = input
            self.output = output
            self.cacheRead = cacheRead
            self.cacheWrite = cacheWrite
            self.reasoning = reasoning
        }
    }

    public init(
        requestID: String, receivedAtMs: Int64, keyID: String?, dialect: String, endpoint: String, model: String,
        stream: Bool = false, provider: String? = nil, upstreamModel: String? = nil, region: String? = nil,
        attempts: Int = 0, failures: [AttemptFailure] = [], hedged: Bool = false, routeReason: String? = nil,
        ttftMs: Double? = nil, firstByteMs: Double? = nil, durationMs: Double = 0, status: Int,
        errorType: String? = nil, tokens: Tokens = .init(), usageEstimated: Bool = false, costUSD: Double = 0,
        country: String? = nil, asn: Int? = nil, metadataJSON: String = "{}", resumes: Int = 0,
        cacheStatus: String? = nil, costSavedUSD: Double = 0, requestBody: String? = nil, responseBody: String? = nil
    ) {
        self.requestID = requestID
        self.receivedAtMs = receivedAtMs
        self.keyID = keyID
        self.dialect = dialect
        self.endpoint = endpoint
        self.model = model
        self.stream = stream
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.region = region
        self.attempts = attempts
        self.failures = failures
        self.hedged = hedged
        self.routeReason = routeReason
        self.ttftMs = ttftMs
        self.firstByteMs = firstByteMs
        self.durationMs = durationMs
        self.status = status
        self.errorType = errorType
        self.tokens = tokens
        self.usageEstimated = usageEstimated
        self.costUSD = costUSD
        self.country = country
        self.asn = asn
        self.metadataJSON = metadataJSON
        self.resumes = resumes
        self.cacheStatus = cacheStatus
        self.costSavedUSD = costSavedUSD
        self.requestBody = requestBody
        self.responseBody = responseBody
    }
}
