import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix
import RoutingCore

/// One pooled keep-alive HTTP client per provider, so each provider's connect timeout and pool size apply.
public final class UpstreamClients: Sendable {
    /// Connections per provider when it declares no capacity.
    public static let defaultPoolSize = 4096
    private let clients: [String: HTTPClient]
    /// Sanitizes provider text, redacting every configured provider's credentials.
    let errorText: UpstreamErrorText
    /// How long a client may leave a stream paused before it is cut (``ConnectionLimits/clientStall``).
    let clientStallTimeout: Duration

    /// Creates the clients on `eventLoopGroup` (the process-wide NIO group by default).
    public init(
        providers: [Provider], clientStallTimeout: Duration = ConnectionLimits().clientStall,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        var clients: [String: HTTPClient] = [:]
        for provider in providers {
            var configuration = HTTPClient.Configuration()
            configuration.timeout.connect = .nanoseconds(provider.timeouts.connect.nanoseconds)
            // No read timeout here: async-http-client's would run on while the call is paused for a slow client
            // and blame the provider. Each call's ``StreamWatch`` times the provider's silence instead.
            configuration.timeout.read = nil
            configuration.connectionPool.idleTimeout = .seconds(60)
            // A declared capacity sizes the pool; large hosted APIs get room for many long-lived streams.
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit =
                max(provider.capacity ?? UpstreamClients.defaultPoolSize, 8)
            // A refused or failed connect must fail the attempt at once so the next deployment is tried; the
            // pool's own retries would spend the whole connect timeout on a provider that is down.
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.decompression = .disabled
            // Redirects would re-send the request body and our provider key somewhere we did not configure.
            configuration.redirectConfiguration = .disallow
            configuration.tlsConfiguration = CABundle.clientTLS(trusting: provider.caBundlePath)
            clients[provider.id] = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
        }
        self.clients = clients
        self.errorText = UpstreamErrorText(providers: providers)
        self.clientStallTimeout = clientStallTimeout
    }

    /// The client for a provider id of the configuration these clients were made for.
    func client(for provider: Provider) -> HTTPClient? {
        clients[provider.id]
    }

    /// Closes every pooled connection; call once, after the last request.
    public func shutdown() async {
        for client in clients.values {
            try? await client.shutdown()
        }
    }
}
