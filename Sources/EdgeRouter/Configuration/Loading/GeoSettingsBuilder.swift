import GeoIP
import RoutingCore
import Yams

/// Reads the `geoip:`, `residency:` and `fleet:` sections. Database files are opened here once, so that
/// `edge-router check` reports a missing or corrupt database with its path, as `serve` would.
struct GeoSettingsBuilder {
    let reader: YAMLReader

    func geoip(_ entry: (node: Node, path: String)?) -> GeoSettings {
        var settings = GeoSettings()
        guard let entry else { return settings }
        let allowed: Set = ["city_db", "asn_db", "reload_interval_ms", "trusted_proxies", "client_ip_header", "metric_countries"]
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return settings }
        settings.locationDatabasePath = database(fields["city_db"])
        settings.asnDatabasePath = database(fields["asn_db"])
        settings.reloadInterval = reader.milliseconds(fields["reload_interval_ms"], default: settings.reloadInterval)
        for (offset, text) in (reader.stringList(fields["trusted_proxies"]) ?? []).enumerated() {
            guard let cidr = CIDR(text) else {
                reader.report("\(entry.path).trusted_proxies[\(offset)]", nil, "'\(text)' is not an address or CIDR block")
                continue
            }
            settings.trustedProxies.append(cidr)
        }
        settings.clientIPHeader = reader.string(fields["client_ip_header"])
        settings.metricCountries = (reader.stringList(fields["metric_countries"]) ?? []).map { $0.uppercased() }
        return settings
    }

    private func database(_ entry: (node: Node, path: String)?) -> String? {
        guard let entry, let path = reader.string(entry) else { return nil }
        do {
            _ = try GeoIPDatabase(path: path)
        } catch {
            reader.report(entry.path, entry.node, error.message)
        }
        return path
    }

    func residencyRules(_ entry: (node: Node, path: String)?) -> [ResidencyRule] {
        var rules: [ResidencyRule] = []
        for (node, path) in reader.sequence(entry) {
            guard let fields = reader.mapping(node, at: path, allowed: ["name", "countries", "continents", "regions"]) else {
                continue
            }
            guard let name = reader.string(fields["name"], required: "\(path).name") else { continue }
            if rules.contains(where: { $0.name == name }) {
                reader.report("\(path).name", fields["name"]?.node, "duplicate residency rule '\(name)'")
            }
            let regions = reader.stringList(fields["regions"]) ?? []
            if regions.isEmpty {
                reader.report("\(path).regions", fields["regions"]?.node, "a rule needs at least one region pattern")
            }
            rules.append(
                ResidencyRule(
                    name: name,
                    countries: Set((reader.stringList(fields["countries"]) ?? []).map { $0.uppercased() }),
                    continents: Set((reader.stringList(fields["continents"]) ?? []).map { $0.uppercased() }),
                    allowedRegions: regions))
        }
        return rules
    }

    func fleet(_ entry: (node: Node, path: String)?) -> FleetSettings? {
        guard let entry,
            let fields = reader.mapping(entry.node, at: entry.path, allowed: ["self", "nodes", "nearest_margin_km", "secret"])
        else { return nil }
        var nodes: [FleetNode] = []
        for (node, path) in reader.sequence(fields["nodes"]) {
            guard let nodeFields = reader.mapping(node, at: path, allowed: ["id", "url", "latitude", "longitude"]),
                let id = reader.string(nodeFields["id"], required: "\(path).id"),
                let url = reader.string(nodeFields["url"], required: "\(path).url")
            else { continue }
            let latitude = reader.double(nodeFields["latitude"], default: .nan, minimum: -90)
            let longitude = reader.double(nodeFields["longitude"], default: .nan, minimum: -180)
            if !(-90...90).contains(latitude) || !(-180...180).contains(longitude) {
                reader.report(path, node, "a node needs latitude (-90...90) and longitude (-180...180)")
            }
            nodes.append(FleetNode(id: id, url: url, latitude: latitude, longitude: longitude))
        }
        guard let selfID = reader.string(fields["self"], required: "\(entry.path).self") else { return nil }
        if !nodes.contains(where: { $0.id == selfID }) {
            reader.report("\(entry.path).self", fields["self"]?.node, "'\(selfID)' is not one of fleet.nodes")
        }
        let margin = reader.double(fields["nearest_margin_km"], default: 500)
        let secret = reader.string(fields["secret"])
        if let secret, secret.utf8.count < 16 {
            reader.report("\(entry.path).secret", fields["secret"]?.node, "the fleet secret must be at least 16 characters long")
        }
        return FleetSettings(selfID: selfID, nodes: nodes, marginKm: margin, secret: secret)
    }
}
