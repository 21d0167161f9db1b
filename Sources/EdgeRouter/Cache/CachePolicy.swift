/// Whether, and how long, a model's or a key's answers are cached (`cache:` on a model or a key; a key's policy
/// wins over its model's). Caching is off unless one of them, or the request's `x-edge-cache-ttl`, asks for it.
public struct CachePolicy: Sendable, Equatable {
    /// How long an entry answers (`ttl_ms`).
    public var ttl: Duration
    /// The largest answer stored (`max_entry_bytes`, of its frames as the provider sent them); larger ones are
    /// answered and not kept.
    public var maxEntryBytes: Int
    /// Whether requests that are not deterministic (no `temperature: 0` and no `seed`) are cached too
    /// (`nondeterministic`, default false): their answer is then one draw replayed to every identical request.
    public var nondeterministic: Bool

    public init(ttl: Duration = .seconds(300), maxEntryBytes: Int = 1 << 20, nondeterministic: Bool = false) {
        self.ttl = ttl
        self.maxEntryBytes = maxEntryBytes
        self.nondeterministic = nondeterministic
    }
}

/// The response cache's node-wide settings (`cache:` at the top of the file).
public struct CacheSettings: Sendable {
    /// The memory tier's bound, in bytes of the entries' frames and keys (`max_bytes`, default 64 MiB);
    /// least-recently-used entries are evicted past it.
    public var maxBytes: Int
    /// Policies by model configuration name (filled from the models' `cache:`).
    public var models: [String: CachePolicy]
    /// The largest `x-edge-cache-ttl` a request may ask for (`max_request_ttl_ms`, default one day).
    public var maxRequestTTL: Duration
    /// The shared tier, when the fleet has one (`redis:`); nil keeps entries on this node only.
    public var redis: RedisSettings?

    public init(
        maxBytes: Int = 64 << 20, models: [String: CachePolicy] = [:], maxRequestTTL: Duration = .seconds(86_400)
    ) {
        self.maxBytes = maxBytes
        self.models = models
        self.maxRequestTTL = maxRequestTTL
    }
}
