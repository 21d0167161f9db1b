import EdgeWire
import Logging
import NIOCore
import RoutingCore

/// The response cache's shared tier: entries in Redis under `key_prefix` + the key's hex digest, written with
/// `SET key value PX ttl` and read with `GET`. A Redis that is down, slow or restarting makes lookups miss and
/// stores be dropped (each failure counted in `edge_cache_redis_errors_total`, and logged when connecting fails):
/// clients never see its errors.
final class RedisTier: Sendable {
    let pool: RedisPool
    private let prefix: String
    private let metrics: CacheMetrics

    init(settings: RedisSettings, metrics: CacheMetrics, logger: Logger) {
        self.prefix = settings.keyPrefix
        self.metrics = metrics
        self.pool = RedisPool(settings: settings, logger: logger) { _ in metrics.redisError() }
    }

    /// The stored answer of `key`, or nil when there is none, it cannot be read, or Redis fails.
    func get(_ key: CacheKey) -> EventLoopFuture<CachedAnswer?> {
        let metrics = self.metrics
        return pool.send([Array("GET".utf8), Array((prefix + key.hex).utf8)]).map { reply -> CachedAnswer? in
            guard case .bulkString(let bytes?) = reply else { return nil }
            return CachedAnswerCoding.decode(bytes)
        }.flatMapErrorThrowing { error in
            if (error as? EdgeRouterError)?.code != .sharedCacheUnavailable { metrics.redisError() }
            return nil
        }
    }

    /// Stores `answer` under `key` for `ttl`; failures are counted, never reported.
    func set(_ key: CacheKey, _ answer: CachedAnswer, ttl: Duration) {
        let milliseconds = max(1, ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
        let metrics = self.metrics
        pool.send([
            Array("SET".utf8), Array((prefix + key.hex).utf8), CachedAnswerCoding.encode(answer), Array("PX".utf8),
            Array(String(milliseconds).utf8),
        ]).whenFailure { error in
            if (error as? EdgeRouterError)?.code != .sharedCacheUnavailable { metrics.redisError() }
        }
    }

    func close() {
        pool.close()
    }
}
