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
    /// How a streamed hit's events are spaced (`replay_pacing_ms`, default 0: all at once). A client that renders
    /// tokens as they come (a chat UI, a demo) sees a cached answer type itself out rather than appear whole;
    /// answers that are not streamed are written in one piece whatever it says.
    public var replayPacing: ReplayPacing
    /// False only for a key's `cache: false` (or `{enabled: false}`): that key's requests are never cached, even
    /// for models that opt in and whatever their `x-edge-cache-ttl` says (the operator's choice wins over the
    /// client's). A model's `cache: false` is no policy at all, which leaves the choice to keys and requests.
    public var enabled: Bool

    public init(
        ttl: Duration = .seconds(300), maxEntryBytes: Int = 1 << 20, nondeterministic: Bool = false,
        replayPacing: ReplayPacing = .fixed(.zero), enabled: Bool = true
    ) {
        self.ttl = ttl
        self.maxEntryBytes = maxEntryBytes
        self.nondeterministic = nondeterministic
        self.replayPacing = replayPacing
        self.enabled = enabled
    }

    /// A key's `cache: false`: its requests are never cached.
    public static let disabled = CachePolicy(enabled: false)
}

/// How a streamed hit's events are spaced.
public enum ReplayPacing: Sendable, Equatable {
    /// One event every so often (`replay_pacing_ms: N`); zero writes them all at once.
    case fixed(Duration)
    /// As the provider sent them (`replay_pacing_ms: original`): each event the gap after its predecessor that the
    /// entry recorded when it was filled (at most ``CachedAnswer/maxGapMs``), the first at once. An entry without
    /// recorded gaps (one written to the shared tier by an older version) is written at once.
    case original

    /// The wait before event `index` (from 1) of `answer`: zero when the events go out together.
    func gap(before index: Int, of answer: CachedAnswer) -> Duration {
        switch self {
        case .fixed(let gap): gap
        case .original: answer.gap(before: index)
        }
    }

    /// Whether a streamed hit of `answer` is written event by event rather than in one write.
    func paces(_ answer: CachedAnswer) -> Bool {
        guard answer.frames.count > 1 else { return false }
        return switch self {
        case .fixed(let gap): gap > .zero
        case .original: answer.gapsMs != nil
        }
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
