import Prometheus
import Synchronization

/// The response cache's metrics: hits, misses, coalesced followers, evictions, and the memory tier's entries and
/// bytes. Hits and misses are also kept here as atomics for the status page's hit ratio.
final class CacheMetrics: Sendable {
    private let hitCounter: Counter
    private let missCounter: Counter
    private let coalescedCounter: Counter
    private let evictionCounter: Counter
    private let entryGauge: Gauge
    private let byteGauge: Gauge
    private let redisErrors: Counter
    private let hitCount = Atomic<Int>(0)
    private let missCount = Atomic<Int>(0)

    init(registry: PrometheusCollectorRegistry) {
        hitCounter = registry.makeCounter(descriptor: MetricNames.cacheHits.descriptor)
        missCounter = registry.makeCounter(descriptor: MetricNames.cacheMisses.descriptor)
        coalescedCounter = registry.makeCounter(descriptor: MetricNames.cacheCoalesced.descriptor)
        evictionCounter = registry.makeCounter(descriptor: MetricNames.cacheEvictions.descriptor)
        entryGauge = registry.makeGauge(descriptor: MetricNames.cacheEntries.descriptor)
        byteGauge = registry.makeGauge(descriptor: MetricNames.cacheBytes.descriptor)
        redisErrors = registry.makeCounter(descriptor: MetricNames.cacheRedisErrors.descriptor)
    }

    func hit() {
        hitCounter.increment()
        hitCount.add(1, ordering: .relaxed)
    }

    func miss() {
        missCounter.increment()
        missCount.add(1, ordering: .relaxed)
    }

    func coalesced() { coalescedCounter.increment() }

    /// A Redis command failed (timeout, connection lost, refused, malformed reply) or connecting failed.
    func redisError() { redisErrors.increment() }

    func evicted(_ count: Int) {
        if count > 0 { evictionCounter.increment(by: Int64(count)) }
    }

    func held(entries: Int, bytes: Int) {
        entryGauge.set(Int64(entries))
        byteGauge.set(Int64(bytes))
    }

    /// Hits over hits and misses since start; nil before any lookup.
    var hitRatio: Double? {
        let hits = hitCount.load(ordering: .relaxed)
        let misses = missCount.load(ordering: .relaxed)
        return hits + misses == 0 ? nil : Double(hits) / Double(hits + misses)
    }

    var hits: Int { hitCount.load(ordering: .relaxed) }
    var misses: Int { missCount.load(ordering: .relaxed) }
}
