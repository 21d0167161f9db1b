/// Everything the status page shows at one instant: what the page is rendered from, and the JSON of each
/// server-sent event (keys in snake case).
struct StatusSnapshot: Sendable, Encodable {
    /// When it was taken, ISO 8601 (UTC).
    var generatedAt: String
    var node: NodeFacts
    var models: [ModelStatus]
}

/// Facts about this node.
struct NodeFacts: Sendable, Encodable {
    var version: String
    var uptimeSeconds: Int
    var region: String?
    /// SHA-256 of the configuration file (hex), nil when the configuration was built in code.
    var configChecksum: String?
    /// The build date of the location database (YYYY-MM-DD), nil when geolocation is off.
    var geoipDatabaseDate: String?
    var geoipDatabaseType: String?
    /// Hedges the budget allows right now, across models.
    var hedgeBudgetAvailable: Double
    /// Client requests being served now.
    var requestsInFlight: Int
    /// The response cache's hits over hits and misses since start, 0...1; nil before any cacheable request.
    var cacheHitRatio: Double?
    /// Its hits and misses.
    var cacheHits: Int
    var cacheMisses: Int
}

/// A model and its deployments.
struct ModelStatus: Sendable, Encodable {
    var name: String
    var objective: String
    /// Why a plain request would go where it goes now (`best`, `panic`, ...).
    var routeReason: String
    var hedgesPerMinute: Double
    var failoversPerMinute: Double
    /// The deployments, ranked ones first in rank order, then those no request would go to now.
    var deployments: [DeploymentStatus]
}

/// One deployment (provider x upstream model) of a model.
struct DeploymentStatus: Sendable, Encodable {
    var provider: String
    var upstreamModel: String
    var region: String
    var dialect: String
    /// 1 for the deployment a request would try first; nil for one no request would go to now.
    var rank: Int?
    /// `closed`, `open`, `half_open` or `rate_limited`.
    var breaker: String
    var breakerReason: String?
    var retryInMs: Int?
    var lastFailure: String?
    var suspect: Bool
    /// Expected TTFT and quantiles in milliseconds; nil before the first sample.
    var expectedMs: Double?
    var p50Ms: Double?
    var p90Ms: Double?
    var p99Ms: Double?
    var samples: Int
    var confidence: Double?
    /// Share of the model's decisions in the last minute, 0...1; nil when the model had none.
    var trafficShare: Double?
    var inFlight: Int
    var failoversPerMinute: Double
    var probe: ProbeStatus?
    var chart: StatusChart
}

/// The latest probe of a deployment, phase by phase (milliseconds; DNS, connect and TLS are each phase's own time,
/// first byte and first token are from the start).
struct ProbeStatus: Sendable, Encodable {
    var ageSeconds: Int
    var dnsMs: Double
    var connectMs: Double
    var tlsMs: Double
    var firstByteMs: Double?
    var firstTokenMs: Double?
    var status: Int?
    var error: String?
    /// The phases as segments of a bar 0...100 wide, in order.
    var bar: [PhaseSegment]
}

/// One phase of a probe drawn as a segment of a bar.
struct PhaseSegment: Sendable, Encodable {
    /// `dns`, `connect`, `tls`, `first_byte` or `first_token`.
    var phase: String
    var x: Double
    var width: Double
}
