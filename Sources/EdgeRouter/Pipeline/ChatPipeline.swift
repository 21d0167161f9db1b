import Logging
import NIOCore
import RoutingCore

/// What every chat request shares: the configuration, the routing engine, the upstream clients, metrics, the
/// client locator and the logger. Built once by the server; each request's ``ChatResponder`` takes its stages
/// from it: the intake, then the exchange's environment.
struct ChatPipeline: Sendable {
    let configuration: RouterConfiguration
    let clients: UpstreamClients
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let locator: ClientLocator
    let accounting: Accounting
    /// Answers kept for clients that may come back for them.
    let streams: StreamRegistry
    /// Stored Responses API answers.
    let responses: ResponseStore
    /// Answers kept for identical requests, and answers under way that identical requests follow.
    let cache: ResponseCache
    let logger: Logger

    /// The checks before any upstream work.
    var intake: ChatIntake { ChatIntake(configuration: configuration, engine: engine, locator: locator, responses: responses) }

    /// What the exchange of an admitted request works with, on the client connection's event loop.
    func exchangeEnvironment(
        for admitted: AdmittedChat, eventLoop: any EventLoop, logContext: ExchangeLogContext
    ) -> ExchangeEnvironment {
        ExchangeEnvironment(
            request: admitted.request, clients: clients, engine: engine, metrics: metrics, eventLoop: eventLoop,
            logger: logger, logContext: logContext)
    }
}
