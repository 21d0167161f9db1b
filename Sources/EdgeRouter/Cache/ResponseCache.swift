import Logging
import RequestLog
import Synchronization

/// The node's response cache: the memory tier (an ``LRUByteStore`` bounded in bytes, behind one lock) and the
/// answers being fetched for misses (``CacheFill``), which identical requests follow rather than asking again.
final class ResponseCache: Sendable {
    /// What a lookup found.
    enum Lookup {
        /// A stored answer, to replay.
        case hit(CachedAnswer)
        /// An identical request is being answered: follow it.
        case follow(CacheFill)
        /// Nothing: fetch the answer and publish it to `fill` (which stores it when complete).
        case lead(CacheFill)
        /// Nothing, and the answer is not to be stored (`no-store`).
        case miss
    }

    private struct State {
        var store: LRUByteStore<CacheKey, CachedAnswer>
        var fills: [CacheKey: CacheFill] = [:]
    }

    let settings: CacheSettings
    let metrics: CacheMetrics
    /// The fleet's shared tier, behind the memory tier; nil without `cache.redis`.
    let redis: RedisTier?
    private let state: Mutex<State>

    init(settings: CacheSettings, metrics: CacheMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.redis = settings.redis.map { RedisTier(settings: $0, metrics: metrics, logger: logger) }
        self.state = Mutex(State(store: LRUByteStore(maxBytes: settings.maxBytes)))
        metrics.held(entries: 0, bytes: 0)
    }

    /// Looks `key` up for a request: a stored answer (unless `bypass`, `Cache-Control: no-cache`), an answer
    /// under way to follow, or the request's to fetch (registered for others to follow unless `noStore`).
    func lookup(_ key: CacheKey, policy: CachePolicy, bypass: Bool, noStore: Bool) -> Lookup {
        let now = ContinuousClock.now
        var effects = LRUByteStore<CacheKey, CachedAnswer>.Effects()
        let found = state.withLock { state -> Lookup in
            if !bypass {
                if let answer = state.store.value(for: key, now: now, effects: &effects) { return .hit(answer) }
                if let fill = state.fills[key], fill.isJoinable { return .follow(fill) }
            }
            guard !noStore else { return .miss }
            let fill = CacheFill(key: key, maxBytes: policy.maxEntryBytes)
            // A `no-cache` request fetches anew; one already under way keeps its followers.
            if state.fills[key]?.isJoinable != true { state.fills[key] = fill }
            return .lead(fill)
        }
        // A lead or a miss is counted by the caller once it asks a provider: the shared tier may answer first.
        switch found {
        case .hit: metrics.hit()
        case .follow: metrics.coalesced()
        case .lead, .miss: break
        }
        if effects.expired > 0 { publishSize() }
        return found
    }

    /// Stores a complete answer for `ttl` (in the shared tier too, when `share`), and lets go of its fill.
    func store(_ answer: CachedAnswer, for fill: CacheFill, ttl: Duration, share: Bool = true) {
        if share { redis?.set(fill.key, answer, ttl: ttl) }
        let expires = ContinuousClock.now + ttl
        var effects = LRUByteStore<CacheKey, CachedAnswer>.Effects()
        state.withLock { state in
            if state.fills[fill.key] === fill { state.fills[fill.key] = nil }
            state.store.insert(answer, bytes: answer.bytes + 64, for: fill.key, expires: expires, effects: &effects)
        }
        metrics.evicted(effects.evicted)
        publishSize()
    }

    /// The answer of `fill` will not be stored (failed, cut, too large, or `no-store`).
    func release(_ fill: CacheFill) {
        state.withLock { state in
            if state.fills[fill.key] === fill { state.fills[fill.key] = nil }
        }
    }

    /// The memory tier's entries and bytes now.
    var held: (entries: Int, bytes: Int) {
        state.withLock { ($0.store.count, $0.store.bytes) }
    }

    /// The memory tier's answers, from most to least recently used (for tests).
    var answers: [CachedAnswer] {
        state.withLock { $0.store.valuesByRecency }
    }

    private func publishSize() {
        let (entries, bytes) = state.withLock { ($0.store.count, $0.store.bytes) }
        metrics.held(entries: entries, bytes: bytes)
    }

    /// The age of an answer stored at `storedAtMs`, in whole seconds (the `age` header).
    static func age(of answer: CachedAnswer) -> Int64 {
        max(0, (UnixTime.nowMs() - answer.storedAtMs) / 1000)
    }
}
