import GeoIP
import RoutingCore

/// Geolocation, residency and fleet settings (`geoip:`, `residency:` and `fleet:` in the file).
public struct GeoSettings: Sendable {
    /// A City or Country database; nil turns geolocation off.
    public var locationDatabasePath: String?
    /// An ASN database, optional.
    public var asnDatabasePath: String?
    /// How often replaced database files are looked for.
    public var reloadInterval: Duration = .seconds(60)
    /// Peers whose forwarding headers are believed.
    public var trustedProxies: [CIDR] = []
    /// A single-address header set by a trusted proxy (for example `CF-Connecting-IP`).
    public var clientIPHeader: String?
    /// Countries counted by name in the per-country metrics; the rest are counted as `other`.
    public var metricCountries: [String] = []
    /// Residency rules, first match wins (after the gateway key's own rule).
    public var residencyRules: [ResidencyRule] = []
    /// This node and the rest of the fleet, for nearest-node hints.
    public var fleet: FleetSettings?

    public init() {}

    /// Whether a database is configured.
    public var isGeolocationEnabled: Bool { locationDatabasePath != nil || asnDatabasePath != nil }
}

/// The fleet of nodes, for telling clients about a nearer one.
public struct FleetSettings: Sendable {
    /// This node's id in `nodes`.
    public var selfID: String
    /// Every node of the fleet, this one included.
    public var nodes: [FleetNode]
    /// A nearer node is suggested only when it is nearer by more than this.
    public var marginKm: Double
    /// What nodes present to each other (`x-edge-fleet-secret`) when one forwards a resume to the node that holds
    /// the answer; nil leaves resumes on the node that served them.
    public var secret: String?

    public init(selfID: String, nodes: [FleetNode], marginKm: Double = 500, secret: String? = nil) {
        self.selfID = selfID
        self.nodes = nodes
        self.marginKm = marginKm
        self.secret = secret
    }

    /// This node's entry.
    public var selfNode: FleetNode? { nodes.first { $0.id == selfID } }
}
