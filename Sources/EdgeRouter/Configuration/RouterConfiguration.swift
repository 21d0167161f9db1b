import RoutingCore

/// The validated, immutable configuration the router serves from: server settings, providers, models and keys.
///
/// Built once by ``ConfigurationLoader`` (or directly in code and tests) and shared read-only by every request.
public struct RouterConfiguration: Sendable {
    /// Listener and request-handling settings.
    public var server: ServerSettings
    /// Providers in configured order.
    public var providers: [Provider]
    /// Models in configured order.
    public var models: [Model]
    /// Gateway keys for clients.
    public var keys: KeyRing
    /// Keys for the `/admin` endpoints.
    public var adminKeys: KeyRing
    /// Geolocation, residency rules and the fleet.
    public var geo: GeoSettings
    /// Estimator, breaker, decision and hedging settings.
    public var routing: RoutingSettings
    /// Background probing; nil when the file has no `probes:` section.
    public var probes: ProbeSettings?
    /// The request log; off unless it has a path.
    public var log: LogSettings
    /// Resumable streams' bounds.
    public var resume: ResumeSettings
    /// The live status page.
    public var status: StatusSettings
    /// The Responses API's stored responses.
    public var responses: ResponsesSettings
    /// The response cache: its memory bound, and the models' policies (keys carry their own).
    public var cache: CacheSettings
    /// The lowercase hex SHA-256 of the configuration file's bytes, shown on the status page so that an SRE can
    /// tell which file a node runs; nil for a configuration built in code.
    public var checksum: String?

    private var modelIndexByName: [String: Int]

    public init(
        server: ServerSettings = .init(),
        providers: [Provider],
        models: [Model],
        keys: KeyRing,
        adminKeys: KeyRing = .init(),
        geo: GeoSettings = .init(),
        routing: RoutingSettings = .init(),
        probes: ProbeSettings? = nil,
        log: LogSettings = .init(),
        resume: ResumeSettings = .init(),
        status: StatusSettings = .init(),
        responses: ResponsesSettings = .init(),
        cache: CacheSettings = .init(),
        checksum: String? = nil
    ) {
        self.responses = responses
        self.cache = cache
        self.probes = probes
        self.log = log
        self.resume = resume
        self.status = status
        self.checksum = checksum
        self.geo = geo
        self.routing = routing
        self.server = server
        self.providers = providers
        self.models = models
        self.keys = keys
        self.adminKeys = adminKeys
        var index: [String: Int] = [:]
        for (position, model) in models.enumerated() {
            index[model.name] = position
            for alias in model.aliases where index[alias] == nil { index[alias] = position }
        }
        self.modelIndexByName = index
    }

    /// The model with this name or alias.
    public func model(named name: some StringProtocol) -> Model? {
        modelIndexByName[String(name)].map { models[$0] }
    }

    /// The provider with this id.
    public func provider(id: some StringProtocol) -> Provider? {
        providers.first { $0.id == id }
    }
}

/// Listener and request-handling settings (`server:` in the file).
public struct ServerSettings: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on (0 picks a free one, for tests).
    public var port: Int
    /// Largest accepted request body.
    public var maxBodyBytes: Int
    /// Largest answer assembled for a non-streaming client (the content, reasoning and tool calls it holds);
    /// past it the request fails with a 502 `response_too_large` and the upstream call is cancelled.
    public var maxResponseBytes: Int
    /// Deadline for a whole request, across every attempt, until the first token.
    public var requestTimeout: Duration
    /// Most upstream attempts per request (the first one included).
    public var maxAttempts: Int
    /// How long in-flight requests may run on after SIGTERM before the process exits.
    public var drainTimeout: Duration
    /// Client connection limits: read timeouts, connections per client address, descriptors kept in reserve.
    public var connections: ConnectionLimits

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 8 << 20,
        maxResponseBytes: Int = 16 << 20,
        requestTimeout: Duration = .seconds(120),
        maxAttempts: Int = 3,
        drainTimeout: Duration = .seconds(30),
        connections: ConnectionLimits = .init()
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxResponseBytes = maxResponseBytes
        self.requestTimeout = requestTimeout
        self.maxAttempts = maxAttempts
        self.drainTimeout = drainTimeout
        self.connections = connections
    }
}
