import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix
import RoutingCore
import Synchronization

/// One pooled keep-alive HTTP client per provider, so each provider's connect timeout and pool size apply.
///
/// A configuration reload makes new `UpstreamClients` for its providers with ``replacing(providers:)``: a provider
/// whose connect timeout, pool size and CA bundle did not change keeps its client, and its warm connections; the clients a
/// reload leaves unused stay open for the requests still on them and are closed with the rest at shutdown.
public final class UpstreamClients: Sendable {
    /// Connections per provider when it declares no capacity.
    public static let defaultPoolSize = 4096
    private let clients: [String: HTTPClient]
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
        var clients: [String: HTTPClient] = [:]
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
        clients[provider.id]
    }

    /// Closes every pooled connection, of these clients and of every set replaced or replacing them; call once,
    /// after the last request.
    public func shutdown() async {
        await owner.shutdown()
    }
}

/// Every HTTP client made for any configuration the router has served, by provider id, connect timeout, pool size
/// and CA bundle (what an `HTTPClient` is configured with); each is made once and shut down once.
private final class ClientOwner: Sendable {
    private let eventLoopGroup: any EventLoopGroup
    private let clients = Mutex<[String: HTTPClient]>([:])

    init(eventLoopGroup: any EventLoopGroup) {
        self.eventLoopGroup = eventLoopGroup
    }

    func client(for provider: Provider) -> HTTPClient {
        let poolSize = max(provider.capacity ?? UpstreamClients.defaultPoolSize, 8)
        let key = "\(provider.id)\u{0}\(provider.timeouts.connect.nanoseconds)\u{0}\(poolSize)\u{0}\(provider.caBundlePath ?? "")"
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
            let client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
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
            try? await client.shutdown()
        }
    }
}
