import Prometheus

/// Requests and time to first token by where clients are: by continent always, by country only for a
/// configured list (the rest as `other`), so the number of series stays bounded whatever the traffic.
final class ClientGeoMetrics: Sendable {
    static let continents = ["AF", "AN", "AS", "EU", "NA", "OC", "SA"]
    private let requests: [String: Counter]
    private let ttftByContinent: [String: DurationHistogram]

    init(registry: PrometheusCollectorRegistry, countries: [String]) {
        let requestsName = MetricNames.clientRequests.descriptor
        let ttftName = MetricNames.clientTimeToFirstToken.descriptor
        var requests: [String: Counter] = [:]
        var ttft: [String: DurationHistogram] = [:]
        for continent in Self.continents + ["unknown"] {
            for country in countries + ["other"] {
                requests[Self.key(continent, country)] = registry.makeCounter(
                    descriptor: requestsName, labels: [("continent", continent), ("country", country)])
            }
            ttft[continent] = registry.makeDurationHistogram(
                descriptor: ttftName, labels: [("continent", continent)], buckets: RouterMetrics.latencyBuckets)
        }
        self.requests = requests
        self.ttftByContinent = ttft
    }

    private static func key(_ continent: String, _ country: String) -> String { continent + "/" + country }

    func recordRequest(_ location: GeoLocationLabels) {
        (requests[Self.key(location.continent, location.country)]
            ?? requests[Self.key(location.continent, "other")]
            ?? requests[Self.key("unknown", "other")])?.increment()
    }

    func recordFirstToken(_ location: GeoLocationLabels, ttft: Duration) {
        (ttftByContinent[location.continent] ?? ttftByContinent["unknown"])?.record(ttft)
    }
}

/// The labels a client location is counted under.
struct GeoLocationLabels: Sendable {
    /// A client of unknown location.
    static let unknown = GeoLocationLabels(continent: nil, country: nil)

    var continent: String
    var country: String

    init(continent: String?, country: String?) {
        self.continent = continent ?? "unknown"
        self.country = country ?? "other"
    }
}
