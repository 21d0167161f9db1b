import EdgeRouter
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Process-wide set-up shared by the commands.
enum Runtime {
    /// Process-wide set-up, once per process: logs to standard error at the level of `--log-level` (or
    /// `LOG_LEVEL`), runs Swift concurrency on NIO's event loops, and bounds glibc's malloc arenas.
    static func bootstrap(logLevel level: String?) -> Logger {
        limitMallocArenas()
        let resolved = Logger.Level(rawValue: level ?? ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info") ?? .info
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, logLevel: resolved) }
        // Running Swift concurrency on NIO's event loops saves a thread hop per await on the request path.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        return Logger(label: "edge-router")
    }

    /// glibc gives each thread that meets contention an arena of its own, up to 8 per core, and keeps the freed
    /// memory of each: after a burst of load an idle router held over twice its starting RSS. Two arenas (one per
    /// event loop on the usual 2-core node) keep that down. `MALLOC_ARENA_MAX` in the environment still wins.
    /// `mallopt` is not visible to Swift through Glibc's module map, hence the lookup.
    private static func limitMallocArenas() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil,
            let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")
        else { return }
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        let arenaMaxOption: Int32 = -8  // M_ARENA_MAX in <malloc.h>
        _ = unsafeBitCast(symbol, to: MallOpt.self)(arenaMaxOption, 2)
        #endif
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
