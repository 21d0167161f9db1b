import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the router's configuration on each SIGHUP, as `POST /admin/reload` does (see
/// ``EdgeRouterServer/reload(trigger:)``). A `Service` of its own in the router's `ServiceGroup`, which keeps
/// SIGTERM and SIGINT for graceful shutdown: this one traps SIGHUP alone, and stops trapping it when the group
/// shuts down.
///
/// Signals that arrive while a reload runs are not lost: the next reload starts when it ends and reads the file as
/// it is then (several signals during one reload may give one more reload, not one each).
public struct HangupReloadService: Service {
    private let server: EdgeRouterServer
    private let logger: Logger

    public init(server: EdgeRouterServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        logger.info("reloading the configuration on SIGHUP")
        for await _ in hangups.cancelOnGracefulShutdown() {
            // The outcome is logged and counted by the reload itself.
            _ = await server.reload(trigger: "sighup")
        }
    }
}
