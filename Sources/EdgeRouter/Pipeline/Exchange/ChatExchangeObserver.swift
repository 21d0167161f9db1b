/// Hears how a ``ChatExchange`` goes, on its event loop: either `failedToStart`, or `started` followed by steps up
/// to a terminal one (unless the exchange is stopped first).
///
/// A callback rather than a return value because the answer arrives later, on the upstream call's callbacks, and
/// no task waits for it: this is the one way from the exchange back to the client's connection.
protocol ChatExchangeObserver: AnyObject {
    /// A deployment produced its first token (or a complete empty answer): the response can start.
    func exchange(_ exchange: ChatExchange, started: ExchangeStart)
    /// No deployment could answer; the error is the client's.
    func exchange(_ exchange: ChatExchange, failedToStart error: EdgeRouterError)
    /// The next step of the winner's stream, from its first frame on.
    func exchange(_ exchange: ChatExchange, step: ExchangeStep)
    /// The steps of one buffer from the provider have been delivered: write them out.
    func exchangeShouldFlush(_ exchange: ChatExchange)
    /// Whether the client is behind; the exchange's stream then pauses until ``ChatExchange/resume()``.
    var isBackedUp: Bool { get }
}
