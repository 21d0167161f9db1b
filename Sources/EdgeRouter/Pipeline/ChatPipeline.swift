import Logging
import NIOCore
import RoutingCore

/// What every chat request shares: the configuration, the routing engine, the upstream clients, metrics, the
/// client locator and the logger. Built once by the server; each request's ``ChatResponder`` takes its stages
/// from it: the intake, then the exchange's environment.
///
/// The configuration, clients and locator are those of one ``ServingState``: a request works with
/// ``current()``, the state served when it arrived, to its end, whatever reload happens meanwhile.
struct ChatPipeline: Sendable {
    /// The server's current state, which ``current()`` reads.
    let live: LiveState
    /// The state this pipeline serves with.
    private(set) var state: ServingState
    var configuration: RouterConfiguration { state.configuration }
    var clients: UpstreamClients { state.clients }
    var locator: ClientLocator { state.locator }
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let accounting: Accounting
    /// Answers kept for clients that may come back for them.
    let streams: StreamRegistry
    /// Stored Responses API answers.
    let responses: ResponseStore
    /// Answers kept for identical requests, and answers under way that identical requests follow.
    let cache: ResponseCache
    let logger: Logger

    init(
        live: LiveState, engine: RoutingEngine, metrics: RouterMetrics, accounting: Accounting, streams: StreamRegistry,
        responses: ResponseStore, cache: ResponseCache, logger: Logger
    ) {
        self.live = live
        self.state = live.load()
        self.engine = engine
        self.metrics = metrics
        self.accounting = accounting
        self.streams = streams
        self.responses = responses
        self.cache = cache
        self.logger = logger
    }

    /// This pipeline on the state being served now: what a new request works with.
    func current() -> ChatPipeline {
        var pipeline = self
        pipeline.state = live.load()
        return pipeline
    }

    /// The checks before any upstream work.
    var intake: ChatIntake {
        ChatIntake(configuration: configuration, engine: engine, locator: locator, responses: responses, routing: state.routing)
    }

    /// What the exchange of an admitted request works with, on the client connection's event loop.
    func exchangeEnvironment(
        for admitted: AdmittedChat, eventLoop: any EventLoop, logContext: ExchangeLogContext
    ) -> ExchangeEnvironment {
        ExchangeEnvironment(
            request: admitted.request, clients: clients, engine: engine, metrics: metrics, eventLoop: eventLoop,
            logger: logger, logContext: logContext)
    }
}
