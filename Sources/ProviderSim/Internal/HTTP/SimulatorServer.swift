import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The simulator's listening socket and its connections, on plain SwiftNIO: a ``SimulatorConnection`` per
/// connection behind NIO's HTTP/1.1 request decoder, and one ``LoopResources`` (frame clock, date) per event loop
/// of the group, shared by the connections on that loop.
final class SimulatorServer: Sendable {
    /// The bound port.
    let port: Int
    private let listener: any Channel
    private let registry: NIOLockedValueBox<ConnectionRegistry<any Channel>>
    private let allClosed: EventLoopPromise<Void>

    private init(
        port: Int, listener: any Channel, registry: NIOLockedValueBox<ConnectionRegistry<any Channel>>,
        allClosed: EventLoopPromise<Void>
    ) {
        self.port = port
        self.listener = listener
        self.registry = registry
        self.allClosed = allClosed
    }

    /// Binds and starts accepting.
    static func start(
        host: String, port: Int, group: any EventLoopGroup, tls: NIOSSLContext?, simulator: ProviderSimulator
    ) async throws -> SimulatorServer {
        var resources: [ObjectIdentifier: NIOLoopBoundBox<LoopResources>] = [:]
        for loop in group.makeIterator() {
            resources[ObjectIdentifier(loop)] = .makeBoxSendingValue(LoopResources(eventLoop: loop), eventLoop: loop)
        }
        let registry = NIOLockedValueBox(ConnectionRegistry<any Channel>())
        let allClosed = group.next().makePromise(of: Void.self)
        let bootstrap = ServerBootstrap(group: group)
            // Benchmarks open thousands of connections within a second or two.
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [resources] channel in
                let id = ObjectIdentifier(channel)
                let action = registry.withLockedValue { $0.add(id, channel) }
                channel.closeFuture.whenComplete { _ in
                    if registry.withLockedValue({ $0.remove(id) }) { allClosed.succeed() }
                }
                if case .close = action { return channel.close() }
                simulator.state.withLockedValue { $0.stats.connections += 1 }
                do {
                    guard let loopResources = resources[ObjectIdentifier(channel.eventLoop)]?.value else {
                        preconditionFailure("a connection on an event loop outside the server's group")
                    }
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    let quiesced = if case .quiesce = action { true } else { false }
                    try pipeline.addHandler(
                        SimulatorConnection(simulator: simulator, resources: loopResources, quiesced: quiesced))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            allClosed.succeed()
            throw error
        }
        let server = SimulatorServer(
            port: listener.localAddress?.port ?? 0, listener: listener, registry: registry, allClosed: allClosed)
        listener.closeFuture.whenComplete { _ in
            let (finished, close) = registry.withLockedValue { $0.listenerDidClose() }
            for channel in close { channel.close(promise: nil) }
            if finished { allClosed.succeed() }
        }
        return server
    }

    /// Graceful shutdown: stop accepting, close idle connections, close busy ones once their response is sent.
    func quiesce() {
        let connections = registry.withLockedValue { $0.beginQuiescing() }
        listener.close(promise: nil)
        for channel in connections {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    /// Closes the listener and every connection now.
    func closeAll() {
        let connections = registry.withLockedValue { $0.beginClosing() }
        listener.close(promise: nil)
        for channel in connections { channel.close(promise: nil) }
    }

    /// Returns once the listener and every connection are closed, after ``quiesce()`` or ``closeAll()``.
    func waitUntilClosed() async {
        try? await allClosed.futureResult.get()
    }
}
