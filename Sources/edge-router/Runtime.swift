import EdgeRouter
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Process-wide set-up shared by the commands.
enum Runtime {
    /// Logs to standard error at the level of `--log-level` (or `LOG_LEVEL`), once per process.
    static func bootstrapLogging(_ level: String?) -> Logger {
        let resolved = Logger.Level(rawValue: level ?? ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info") ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = resolved
            return handler
        }
        // Running Swift concurrency on NIO's event loops saves a thread hop per await on the request path.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        return Logger(label: "edge-router")
    }

    /// Runs services until SIGTERM or SIGINT, then lets them drain for up to `drain` and returns.
    static func run(_ services: [any Service], drain: Duration, logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = drain
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
    }

    /// Prints to standard error.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(1)
    }
}
