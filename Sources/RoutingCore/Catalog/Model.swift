/// A model as clients name it, with the deployments that serve it.
public struct Model: Sendable {
    /// The name clients send in `model`.
    public var name: String
    /// Other names that mean the same model.
    public var aliases: [String]
    /// Where the model can be served, in configured order (the order of equal candidates).
    public var deployments: [Deployment]
    /// The model's objective and hedging.
    public var routing: ModelRouting
    /// The model's own probe prompt and token limit, if any.
    public var probe: ModelProbe
    /// `max_tokens` for a request to an Anthropic-dialect deployment whose client did not set one (Anthropic
    /// requires it; OpenAI and Gemini clients may leave it out). Configured as `default_max_tokens`.
    public var defaultMaxTokens: Int
    /// Chat or embedding (`kind`): the endpoints that serve the model, and how its probes ask.
    public var kind: ModelKind

    /// The default of ``defaultMaxTokens``.
    public static let standardMaxTokens = 4_096

    public init(
        name: String, aliases: [String] = [], deployments: [Deployment], routing: ModelRouting = .init(),
        probe: ModelProbe = .init(), defaultMaxTokens: Int = Model.standardMaxTokens, kind: ModelKind = .chat
    ) {
        self.kind = kind
        self.probe = probe
        self.defaultMaxTokens = defaultMaxTokens
        self.name = name
        self.aliases = aliases
        self.routing = routing
        // Each deployment knows its model, so metrics and logs can name it without a reverse lookup.
        self.deployments = deployments.map { deployment in
            var deployment = deployment
            deployment.modelName = name
            return deployment
        }
    }
}

/// One provider serving one model: the unit the router measures, ranks and ejects.
public struct Deployment: Sendable {
    /// The provider that serves it.
    public var provider: Provider
    /// The provider's own id for the model, sent upstream in place of the client's name.
    public var upstreamModel: String
    /// Price per million tokens, for spend tracking and price-ordered routing.
    public var price: Price
    /// The catalog name of the model this deployment serves (set by ``Model``).
    public internal(set) var modelName = ""
    /// How a chat becomes the input of a Cog predictor (`input`, `chat_template`); nil for other dialects.
    public var cogInput: CogInput?

    public init(provider: Provider, upstreamModel: String, price: Price = .init(), cogInput: CogInput? = nil) {
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.price = price
        self.cogInput = cogInput
    }

    /// `provider/upstream-model`, the name used in logs and errors.
    public var label: String { "\(provider.id)/\(upstreamModel)" }

    /// Identifies the deployment within a catalog: model, provider and upstream model.
    public var key: String { "\(modelName)\u{0}\(provider.id)\u{0}\(upstreamModel)" }
}

/// Prices in US dollars per million tokens.
public struct Price: Sendable, Equatable {
    /// Price of a million prompt tokens (neither read from nor written to the provider's cache).
    public var inputPerMillion: Double
    /// Price of a million completion tokens (reasoning included).
    public var outputPerMillion: Double
    /// Price of a million prompt tokens read from the provider's cache; nil means the input price.
    public var cachedInputPerMillion: Double?
    /// Price of a million prompt tokens written to the provider's cache; nil means the input price.
    public var cacheWritePerMillion: Double?

    public init(
        inputPerMillion: Double = 0, outputPerMillion: Double = 0, cachedInputPerMillion: Double? = nil,
        cacheWritePerMillion: Double? = nil
    ) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion
        self.cacheWritePerMillion = cacheWritePerMillion
    }

    /// The cost in US dollars of a request's tokens: `prompt` includes the cached ones, counted at their own prices.
    public func cost(prompt: Int, completion: Int, cacheRead: Int, cacheWrite: Int) -> Double {
        // The counts are the provider's word: an overflow makes the uncached part 0, never a trap.
        let (cached, overflow) = cacheRead.addingReportingOverflow(cacheWrite)
        let (rest, under) = prompt.subtractingReportingOverflow(cached)
        let uncached = overflow || under ? 0 : max(0, rest)
        let millions = 1e-6
        return (Double(uncached) * inputPerMillion + Double(completion) * outputPerMillion
            + Double(cacheRead) * (cachedInputPerMillion ?? inputPerMillion)
            + Double(cacheWrite) * (cacheWritePerMillion ?? inputPerMillion)) * millions
    }
}
