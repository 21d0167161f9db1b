import Foundation
import Prometheus
import Synchronization

/// `edge_config_reloads_total{outcome="applied|refused"}`, and the loaded configuration as
/// `edge_config_info{checksum}` (always 1; the checksum label changes with the file) and
/// `edge_config_loaded_timestamp_seconds` (when it was loaded: at start, then at each applied reload).
final class ReloadMetrics: Sendable {
    private let applied: Counter
    private let refused: Counter
    private let loadedAt: Gauge
    private let registry: PrometheusCollectorRegistry
    private let info: Mutex<Gauge?>

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        let reloads = MetricNames.configReloads.descriptor
        applied = registry.makeCounter(descriptor: reloads, labels: [("outcome", "applied")])
        refused = registry.makeCounter(descriptor: reloads, labels: [("outcome", "refused")])
        loadedAt = registry.makeGauge(descriptor: MetricNames.configLoaded.descriptor)
        info = Mutex(nil)
    }

    /// The configuration with this checksum is the one served from now on (`applied`: by a reload).
    func loaded(checksum: String?, applied reload: Bool) {
        if reload { applied.increment() }
        loadedAt.set(Date().timeIntervalSince1970)
        info.withLock { current in
            // One series at a time: the previous file's is taken out of the scrape.
            if let current { registry.unregisterGauge(current) }
            let gauge = registry.makeGauge(descriptor: MetricNames.configInfo.descriptor, labels: [("checksum", checksum ?? "none")])
            gauge.set(1.0)
            current = gauge
        }
    }

    /// A reload was refused (the file is invalid or unreadable); the served configuration did not change.
    func refusedReload() {
        refused.increment()
    }
}
