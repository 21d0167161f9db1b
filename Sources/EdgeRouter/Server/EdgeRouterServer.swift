import GeoIP
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import RoutingCore
import ServiceLifecycle
import Synchronization

/// The EdgeRouter HTTP server: the routes, the upstream clients and the metrics, assembled from a ``RouterConfiguration``.
///
/// It is a `Service`: run it in a `ServiceGroup`, which handles SIGTERM and SIGINT by stopping new connections
/// and letting in-flight streams finish.
public final class EdgeRouterServer: Service, Sendable {
    /// The configuration being served now (a reload replaces it).
    public var configuration: RouterConfiguration { live.load().configuration }
    /// The metrics `/metrics` renders.
    public let metrics: RouterMetrics
    /// What requests are served with: configuration, upstream clients, locator, routing snapshot.
    private let live: LiveState
    /// Reloads the configuration file; nil when the server was not given one.
    private let reloader: ConfigurationReloader?
    /// The configuration the server started with: what only a restart changes stays at its values.
    private let startup: RouterConfiguration
    private let geoIPMetrics: GeoIPMetrics
    private let probes: ProbeScheduler?
    /// Limits per key, the request log, spend.
    private let accounting: Accounting
    /// Answers kept for clients that may come back for them.
    private let streams: StreamRegistry
    /// Stored Responses API answers.
    private let responses: ResponseStore
    /// The response cache, shared by every chat request.
    let cache: ResponseCache
    private let status: StatusService
    private let statusSessions: StatusSessions
    /// The routing brain.
    public let engine: RoutingEngine
    private let logger: Logger
    private let listening = ListeningState()
    private let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - configuration: what to serve.
    ///   - reloadFrom: reads and validates the configuration again, for SIGHUP and `POST /admin/reload` (see
    ///     ``reload(trigger:)``); nil for a server that cannot reload (a configuration built in code).
    ///   - onListening: called with the bound port once the server accepts connections (port 0 picks one).
    /// - Throws: when a configured GeoIP database is missing, unreadable or corrupt.
    public init(
        configuration: RouterConfiguration,
        reloadFrom source: (@Sendable () throws(EdgeRouterError) -> RouterConfiguration)? = nil,
        logger: Logger = Logger(label: "edge-router"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(EdgeRouterError) {
        let locator = try Self.locator(configuration.geo, logger: logger)
        let metrics = RouterMetrics(configuration: configuration)
        let accounting = try Accounting(configuration: configuration, registry: metrics.registry, logger: logger)
        let engine = RoutingEngine(
            models: configuration.models, settings: configuration.routing, trialsByProbe: configuration.probes != nil,
            observer: metrics.routing, logger: logger)
        let probes = try configuration.probes.map { settings throws(EdgeRouterError) in
            try ProbeScheduler(
                settings: settings, engine: engine, metrics: ProbeMetrics(configuration: configuration, registry: metrics.registry),
                logger: logger)
        }
        let live = LiveState(
            ServingState(
                configuration: configuration,
                clients: UpstreamClients(providers: configuration.providers, clientStallTimeout: configuration.server.connections.clientStall),
                locator: locator, routing: engine.snapshot))
        self.live = live
        self.startup = configuration
        self.geoIPMetrics = GeoIPMetrics(registry: metrics.registry, resolver: locator.resolver)
        self.metrics = metrics
        self.engine = engine
        self.probes = probes
        self.accounting = accounting
        self.streams = StreamRegistry(settings: configuration.resume, metrics: ResumeMetrics(registry: metrics.registry))
        self.responses = ResponseStore(settings: configuration.responses, persists: configuration.log.path != nil)
        let cacheMetrics = CacheMetrics(registry: metrics.registry)
        self.cache = ResponseCache(settings: configuration.cache, metrics: cacheMetrics, logger: logger)
        let board = StatusBoard(
            configuration: configuration, engine: engine, probes: probes, metrics: metrics, resolver: locator.resolver,
            cache: cacheMetrics, checksum: { live.load().configuration.checksum })
        self.status = StatusService(board: board, logger: logger)
        let sessions = StatusSessions(lifetime: configuration.status.sessionLifetime, limit: configuration.status.maxSessions)
        self.statusSessions = sessions
        self.reloader = source.map { source in
            ConfigurationReloader(
                source: source, live: live, engine: engine, metrics: metrics, accounting: accounting, probes: probes, status: board,
                sessions: sessions, logger: logger)
        }
        metrics.reloads.loaded(checksum: configuration.checksum, applied: false)
        self.logger = logger
        self.onListening = onListening
    }

    /// Opens the configured GeoIP databases.
    private static func locator(_ settings: GeoSettings, logger: Logger) throws(EdgeRouterError) -> ClientLocator {
        do {
            return try ClientLocator(settings: settings, logger: logger)
        } catch {
            throw EdgeRouterError(.invalidConfiguration, "GeoIP: \(error.message)")
        }
    }

    /// What `/readyz` answers: listening and not draining, and with probes, every deployment measured once (or
    /// the probes' ready timeout passed).
    private var isReady: Bool {
        listening.ready.load(ordering: .relaxed) && (probes?.isReady ?? true)
    }

    /// The port the server listens on, once it does (0 before).
    public var port: Int { listening.port.load(ordering: .relaxed) }

    /// Reloads the configuration (what SIGHUP and `POST /admin/reload` do; see ``ConfigurationReloader``): the
    /// report of what changed, or the errors `edge-router check` gives for the file, which then changes nothing.
    /// `trigger` names the cause in the log line. A server made without `reloadFrom` refuses with `notFound`.
    ///
    /// The file is read and the new state built on NIO's thread pool: reading a file blocks, which the event loops
    /// that run Swift concurrency here must not.
    public func reload(trigger: String = "api") async -> Result<ReloadReport, EdgeRouterError> {
        guard let reloader else {
            return .failure(EdgeRouterError(.notFound, "This router was not started from a configuration file: nothing to reload."))
        }
        do {
            return try await NIOThreadPool.singleton.runIfActive { reloader.reload(trigger: trigger) }
        } catch {
            return .failure(EdgeRouterError(.internalError, "The reload could not run: the thread pool is shut down."))
        }
    }

    /// Serves until the task is cancelled or a graceful shutdown is triggered, then closes upstream connections.
    public func run() async throws {
        let router = Router(context: EdgeRequestContext.self)
        router.addMiddleware { ErrorShapeMiddleware() }
        router.get("/healthz") { _, _ in Self.json(#"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in
            self.isReady
                ? Self.json(#"{"status":"ready"}"#)
                : Self.json(#"{"status":"starting"}"#, status: .serviceUnavailable)
        }
        router.get("/metrics") { [metrics, engine] _, _ in
            metrics.refreshBeforeScrape(engine: engine, ready: self.isReady)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        let configuration = startup
        let live = self.live
        let chat = ChatPipeline(
            live: live, engine: engine, metrics: metrics, accounting: accounting, streams: streams, responses: responses,
            cache: cache, logger: logger)
        let models = ModelsRoute(live: live)
        let nearest = NearestRoute(live: live)
        let keys: @Sendable () -> KeyRing = { live.load().configuration.keys }
        let adminKeys: @Sendable () -> KeyRing = { live.load().configuration.adminKeys }
        let v1 = router.group("v1").add(middleware: AuthMiddleware(keys: keys))
        v1.get("models", use: models.list)
        v1.get("models/{id}", use: models.retrieve)
        v1.post("messages/count_tokens", use: CountTokensRoute(live: live, engine: engine).handle)
        let v1beta = router.group("v1beta").add(middleware: AuthMiddleware(keys: keys))
        v1beta.get("models", use: models.listGemini)
        v1beta.get("models/{id}", use: models.retrieveGemini)
        v1.get("edge/nearest", use: nearest.handle)
        let streamRoutes = StreamRoutes(streams: streams, store: accounting.store, currentFleet: { live.load().configuration.geo.fleet })
        v1.get("edge/streams/{id}", use: streamRoutes.fetch)
        let responseRoutes = ResponseRoutes(responses: responses, streams: streamRoutes)
        v1.get("responses/{id}", use: responseRoutes.retrieve)
        v1.delete("responses/{id}", use: responseRoutes.delete)
        // Embeddings check the key themselves, so that a refused request is on record like a chat request.
        let embeddings = EmbeddingsRoute(live: live, engine: engine, metrics: metrics, accounting: accounting, logger: logger)
        router.post("v1/embeddings", use: embeddings.openAI)
        // The model's name is the path's own to parse (a pinned `provider/model` takes two segments); captures
        // named as the model lists' GET route, so the router's tree has one node for both.
        router.post("v1beta/models/{id}", use: embeddings.gemini)
        router.post("v1beta/models/{id}/{method}", use: embeddings.gemini)
        let admin = router.group("admin").add(middleware: AuthMiddleware(keys: adminKeys))
        admin.get("routes", use: AdminRoutesRoute(engine: engine, probes: probes).handle)
        admin.post("reload", use: ReloadRoute(server: self).handle)
        let spend = SpendRoutes(store: accounting.store)
        admin.get("spend", use: spend.spend)
        admin.get("requests", use: spend.requests)
        StatusRoutes(
            access: StatusAccess(adminKeys: adminKeys, sessions: statusSessions, trustedProxies: configuration.geo.trustedProxies),
            service: status
        ).register(on: router)

        let connectionMetrics = ConnectionMetrics(registry: metrics.registry)
        let server = configuration.server
        let app = Application(
            router: router,
            // Chat completions are answered on the event loop, ahead of the router (see ChatCompletionsHandler),
            // and the connection rules hold for every request (see ConnectionGate).
            server: HTTPServerBuilder { responder in
                EdgeHTTP1Channel(
                    responder: responder, limits: server.connections, maxBodyBytes: server.maxBodyBytes,
                    metrics: connectionMetrics, chat: chat)
            },
            configuration: .init(
                address: .hostname(configuration.server.host, port: configuration.server.port), serverName: nil,
                backlog: server.connections.listenBacklog),
            onServerRunning: { [onListening, logger] channel in
                // First on the listening socket, so that it sees accept errors before NIO's backoff handler.
                try? await channel.eventLoop.submit {
                    let guardHandler = AcceptGuard(
                        limits: server.connections, openFilesLimit: AcceptGuard.openFilesLimit(),
                        metrics: connectionMetrics, logger: logger)
                    try channel.pipeline.syncOperations.addHandler(guardHandler, position: .first)
                }.get()
                let port = channel.localAddress?.port ?? 0
                self.listening.port.store(port, ordering: .relaxed)
                self.listening.ready.store(true, ordering: .relaxed)
                logger.info("edge-router listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                await onListening(port)
            },
            logger: logger
        )
        let resolver = live.load().locator.resolver
        let reloader = GeoIPReloadService(
            resolver: resolver, pollInterval: configuration.geo.reloadInterval, onOutcome: geoIPMetrics.record)
        let geolocating = resolver.isEnabled
        let accounting = self.accounting
        let clients = live.load().clients
        do {
            // The request log's writer outlives the server: it is finished (and drains) only once the server has
            // drained its requests, so that none of their records is lost. Budgets are read once the log runs
            // (PostgreSQL's pool is part of it), before the first request.
            try await withThrowingTaskGroup(of: Void.self) { logging in
                logging.addTask { try await accounting.runLog(keys: { keys().keys }) }
                let responses = self.responses
                if let store = accounting.store {
                    // Stored Responses API answers come back from the log before the first request.
                    await responses.load(from: store)
                    logging.addTask { await responses.runPersistence(to: store) }
                }
                defer {
                    accounting.finishLog()
                    responses.finishPersistence()
                }
                await accounting.loadSpend(keys: keys().keys)
                try await serve(app, reloader: geolocating ? reloader : nil)
            }
        } catch {
            cache.redis?.close()
            await clients.shutdown()
            throw error
        }
        cache.redis?.close()
        await clients.shutdown()
    }

    /// Runs the HTTP server with the GeoIP reloader, the probes and the status page's service until the server
    /// stops (after draining, on graceful shutdown).
    private func serve(_ app: some ApplicationProtocol, reloader: GeoIPReloadService?) async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                // Replaced database files are picked up while the server runs. The server decides when
                // everything is over: the reloader stopping first must not cut in-flight streams.
                if let reloader {
                    group.addTask {
                        try await reloader.run()
                        return false
                    }
                }
                if let probes = self.probes {
                    group.addTask {
                        try await probes.run()
                        return false
                    }
                }
                // The status page's history and live updates, for as long as the server runs.
                group.addTask {
                    try await self.status.run()
                    return false
                }
                group.addTask {
                    try await self.runDraining(app)
                    return true
                }
                while let serverStopped = try await group.next() {
                    if serverStopped { group.cancelAll() }
                }
            }
        } onGracefulShutdown: {
            self.listening.ready.store(false, ordering: .relaxed)
            // Live status pages would otherwise hold the drain open until its timeout.
            self.status.feed.close()
        }
    }

    /// Runs the HTTP server until it has drained. On graceful shutdown it goes on accepting connections while
    /// this node holds resumable answers still owed to their clients (live, or left by their client and not
    /// fetched since), for at most the drain timeout, so that a client that dropped can still come back (itself,
    /// or through another node that forwards its resume); then it stops accepting and lets in-flight requests end.
    private func runDraining(_ app: some ApplicationProtocol) async throws {
        // The application's own graceful shutdown is triggered here, not by the enclosing group: its group runs
        // in a detached task, which does not inherit the enclosing group's shutdown.
        let server = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task.detached { try await server.run() }
        let watch = Task {
            try await gracefulShutdown()
            await self.drainResumes()
            await server.triggerGracefulShutdown()
        }
        defer { watch.cancel() }
        try await withTaskCancellationHandler {
            try await running.value
        } onCancel: {
            running.cancel()
        }
    }

    /// Waits, within the drain timeout, until no resumable answer is owed to a client.
    private func drainResumes() async {
        let owed = streams.unsettledCount
        guard owed > 0 else { return }
        logger.info("draining: serving resumes of buffered answers", metadata: ["answers": "\(owed)"])
        let settled = await streams.waitUntilSettled(within: startup.server.drainTimeout)
        logger.info(
            settled ? "draining: every buffered answer delivered" : "draining: drain timeout passed with answers still owed",
            metadata: ["answers": "\(streams.unsettledCount)"])
    }

    private static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Whether the server listens, and on which port. A class of its own because a throwing initialiser of a class
/// with `Atomic` stored properties crashed the Swift 6.3 optimiser (an ownership error on the throw path).
private final class ListeningState: Sendable {
    let ready = Atomic<Bool>(false)
    let port = Atomic<Int>(0)
}
