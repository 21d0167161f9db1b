import GeoIP
import Prometheus

/// `edge_geoip_database_build_timestamp_seconds{database}`: when the GeoIP database in service was built, so that
/// an alert can tell a stalled geoipupdate (MaxMind rebuilds weekly) before locations drift. One series per
/// configured database (`location`, `asn`), set when the router opens it and again at each hot reload.
final class GeoIPMetrics: Sendable {
    private let location: Gauge?
    private let asn: Gauge?

    /// Makes a gauge for each database `resolver` serves and sets it from the database loaded at start-up.
    init(registry: PrometheusCollectorRegistry, resolver: GeoIPResolver) {
        func gauge(_ role: GeoIPResolver.DatabaseRole, _ database: GeoIPDatabase?) -> Gauge? {
            // A role with no database gets no series: an absent series cannot be mistaken for a database of 1970.
            guard let database else { return nil }
            let gauge = registry.makeGauge(descriptor: MetricNames.geoipDatabaseBuild.descriptor, labels: [("database", "\(role)")])
            gauge.set(Double(database.metadata.buildEpoch))
            return gauge
        }
        location = gauge(.location, resolver.locationDatabase)
        asn = gauge(.asn, resolver.asnDatabase)
    }

    /// Records what a reload check did: a database swapped in brings its build time.
    func record(_ outcome: ReloadOutcome) {
        if case .reloaded(let metadata) = outcome.location { location?.set(Double(metadata.buildEpoch)) }
        if case .reloaded(let metadata) = outcome.asn { asn?.set(Double(metadata.buildEpoch)) }
    }
}
