/// The wire format a provider speaks, on the way in (client dialect) or out (provider dialect).
public enum Dialect: String, Sendable, CaseIterable {
    /// OpenAI chat completions (`/v1/chat/completions`), also spoken by most self-hosted servers.
    case openai
    /// OpenAI's Responses API (`/v1/responses`), for providers that speak it natively. Provider side only: a
    /// Responses client arrives on ``ChatEndpoint``'s own endpoint, and its errors are OpenAI's.
    case openaiResponses = "openai-responses"
    /// Anthropic Messages (`/v1/messages`).
    case anthropic
    /// Google Gemini (`generateContent`, `streamGenerateContent`).
    case gemini
    /// A model packaged with Replicate's Cog, served by Cog's HTTP server (`PUT /predictions/{id}`). Provider side
    /// only: no client speaks it. The deployment's ``CogInput`` turns a chat into the predictor's input.
    case cog
}

/// A configured upstream provider: where it is, how to authenticate, and how long to wait for it.
public struct Provider: Sendable, Identifiable {
    /// The id deployments refer to, and that clients use to pin it (`provider/model`).
    public var id: String
    /// The wire format the provider speaks.
    public var dialect: Dialect
    /// The base URL, without a trailing slash: for OpenAI the part before `/chat/completions` (for
    /// `openai-responses` before `/responses`), for Anthropic the
    /// part before `/v1/messages`, for Gemini the part before `/v1beta/models/…`.
    public var baseURL: String
    /// The provider's API key, resolved from the environment; never logged or shown.
    public var apiKey: String?
    /// A free-form label of where the provider serves from (`eu-west`); residency rules match on it.
    public var region: String
    /// Extra headers sent with every upstream request (for example an organisation id).
    public var headers: [(name: String, value: String)]
    /// How many requests the provider can serve at once, for self-hosted servers; nil for large hosted APIs. A Cog
    /// server's prediction slots (Cog's `concurrency.max`, 1 unless the model says otherwise).
    public var capacity: Int?
    /// Whether the provider streams its answers. Only a Cog predictor may not (one without `@cog.streaming`): it is
    /// then asked for the whole prediction as JSON, and its first token is the whole answer.
    public var streams: Bool
    /// How long to wait for each phase of an upstream call.
    public var timeouts: ProviderTimeouts
    /// A PEM bundle of the certificate authorities this provider's TLS certificate must chain to, instead of the
    /// system's (for providers with private certificates); live calls and probes both trust exactly these.
    public var caBundlePath: String?

    public init(
        id: String,
        dialect: Dialect = .openai,
        baseURL: String,
        apiKey: String? = nil,
        region: String = "default",
        headers: [(name: String, value: String)] = [],
        capacity: Int? = nil,
        streams: Bool = true,
        timeouts: ProviderTimeouts = .init(),
        caBundlePath: String? = nil
    ) {
        self.streams = streams
        self.id = id
        self.dialect = dialect
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.region = region
        self.headers = headers
        self.capacity = capacity
        self.timeouts = timeouts
        self.caBundlePath = caBundlePath
    }
}

/// Per-provider time limits.
public struct ProviderTimeouts: Sendable, Equatable {
    /// Time to establish a connection (TCP and TLS).
    public var connect: Duration
    /// Time from sending the request to the first content token; past it the attempt fails over.
    public var firstToken: Duration
    /// Longest silence between two reads from the provider. Time the router spends paused because its client is
    /// not reading is not silence: it does not count.
    public var idle: Duration
    /// Longest a whole answer may stream, from the request to its end, not counting time paused for a slow client:
    /// bounds a provider whose stream never ends (keep-alives or empty deltas forever). Default 10 minutes.
    public var stream: Duration

    public init(
        connect: Duration = .seconds(5), firstToken: Duration = .seconds(30), idle: Duration = .seconds(60),
        stream: Duration = .seconds(600)
    ) {
        self.connect = connect
        self.firstToken = firstToken
        self.idle = idle
        self.stream = stream
    }
}
