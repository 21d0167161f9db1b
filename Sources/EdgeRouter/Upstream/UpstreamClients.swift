import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RoutingCore
import Synchronization

/// Each provider's upstream connections: its ``UpstreamPool`` for chat streams (the hot path), and an
/// async-http-client for the rest (embeddings, token counts, Cog's cancels), each with the provider's connect
/// timeout, pool size and CA bundle.
///
/// A configuration reload makes new `UpstreamClients` for its providers with ``replacing(providers:)``: a provider
/// whose base URL, connect timeout, pool size and CA bundle did not change keeps its clients, and its warm
/// connections; the clients a reload leaves unused stay open for the requests still on them and are closed with
/// the rest at shutdown.
public final class UpstreamClients: Sendable {
    /// Connections per provider when it declares no capacity.
    public static let defaultPoolSize = 4096
    private let clients: [String: ProviderClient]
    private let owner: ClientOwner
    /// Sanitizes provider text, redacting every configured provider's credentials.
    let errorText: UpstreamErrorText
    /// How long a client may leave a stream paused before it is cut (``ConnectionLimits/clientStall``).
    let clientStallTimeout: Duration

    /// Creates the clients on `eventLoopGroup` (the process-wide NIO group by default).
    public convenience init(
        providers: [Provider], clientStallTimeout: Duration = ConnectionLimits().clientStall,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.init(providers: providers, clientStallTimeout: clientStallTimeout, owner: ClientOwner(eventLoopGroup: eventLoopGroup))
    }

    private init(providers: [Provider], clientStallTimeout: Duration, owner: ClientOwner) {
        var clients: [String: ProviderClient] = [:]
        for provider in providers { clients[provider.id] = owner.client(for: provider) }
        self.clients = clients
        self.owner = owner
        self.errorText = UpstreamErrorText(providers: providers)
        self.clientStallTimeout = clientStallTimeout
    }

    /// The clients for a reloaded configuration's providers, sharing this one's HTTP clients where they fit.
    func replacing(providers: [Provider]) -> UpstreamClients {
        UpstreamClients(providers: providers, clientStallTimeout: clientStallTimeout, owner: owner)
    }

    /// The client for a provider id of the configuration these clients were made for.
    func client(for provider: Provider) -> HTTPClient? {
        clients[provider.id]?.http
    }

    /// The connection pool for a provider id of the configuration these clients were made for; nil when the
    /// provider's base URL or CA bundle cannot serve one (``poolProblem(for:)`` says why).
    func pool(for provider: Provider) -> UpstreamPool? {
        if case .success(let pool)? = clients[provider.id]?.pool { return pool }
        return nil
    }

    /// Why a provider has no pool, for the logs.
    func poolProblem(for provider: Provider) -> String {
        if case .failure(let problem)? = clients[provider.id]?.pool { return problem.text }
        return "no client for the provider"
    }

    /// Closes every pooled connection, of these clients and of every set replaced or replacing them; call once,
    /// after the last request.
    public func shutdown() async {
        await owner.shutdown()
    }
}

/// A provider's clients: its connection pool, or why it has none, and its async-http-client.
private struct ProviderClient: Sendable {
    struct Problem: Error {
        var text: String
    }

    var pool: Result<UpstreamPool, Problem>
    var http: HTTPClient
}

/// Every client made for any configuration the router has served, by provider id, base URL, connect timeout, pool
/// size and CA bundle (what they are configured with); each is made once and shut down once.
private final class ClientOwner: Sendable {
    private let eventLoopGroup: any EventLoopGroup
    private let clients = Mutex<[String: ProviderClient]>([:])

    init(eventLoopGroup: any EventLoopGroup) {
        self.eventLoopGroup = eventLoopGroup
    }

    func client(for provider: Provider) -> ProviderClient {
        let poolSize = max(provider.capacity ?? UpstreamClients.defaultPoolSize, 8)
        let key = [provider.id, provider.baseURL, "\(provider.timeouts.connect.nanoseconds)", "\(poolSize)", provider.caBundlePath ?? ""]
            .joined(separator: "\u{0}")
        return clients.withLock { clients in
            if let client = clients[key] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout.connect = .nanoseconds(provider.timeouts.connect.nanoseconds)
            // No read timeout here: async-http-client's would run on while the call is paused for a slow client
            // and blame the provider. Each call's ``StreamWatch`` times the provider's silence instead.
            configuration.timeout.read = nil
            configuration.connectionPool.idleTimeout = .seconds(60)
            // A declared capacity sizes the pool; large hosted APIs get room for many long-lived streams.
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = poolSize
            // A refused or failed connect must fail the attempt at once so the next deployment is tried; the
            // pool's own retries would spend the whole connect timeout on a provider that is down.
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.decompression = .disabled
            // Redirects would re-send the request body and our provider key somewhere we did not configure.
            configuration.redirectConfiguration = .disallow
            configuration.tlsConfiguration = CABundle.clientTLS(trusting: provider.caBundlePath)
            let client = ProviderClient(
                pool: Self.pool(for: provider, limit: poolSize, group: eventLoopGroup),
                http: HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration))
            clients[key] = client
            return client
        }
    }

    func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in all {
            if case .success(let pool) = client.pool { await pool.shutdown() }
            try? await client.http.shutdown()
        }
    }

    /// The pool of `provider`'s chat streams, with the same connect timeout, limit and trust as its HTTP client.
    private static func pool(for provider: Provider, limit: Int, group: any EventLoopGroup) -> Result<UpstreamPool, ProviderClient.Problem> {
        guard let origin = UpstreamOrigin(baseURL: provider.baseURL) else {
            return .failure(.init(text: "the base URL is not http(s)://host[:port][/path][?query]"))
        }
        var tls: NIOSSLContext?
        if origin.isTLS {
            var configuration = CABundle.clientTLS(trusting: provider.caBundlePath)
            configuration.applicationProtocols = ["http/1.1"]
            do {
                tls = try NIOSSLContext(configuration: configuration)
            } catch {
                return .failure(.init(text: "TLS cannot be set up: \(error)"))
            }
        }
        return .success(
            UpstreamPool(
                origin: origin, tls: tls, connectTimeout: .nanoseconds(provider.timeouts.connect.nanoseconds), limit: limit,
                group: group))
    }
}
