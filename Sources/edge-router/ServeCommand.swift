import ArgumentParser
import EdgeRouter
import Foundation

/// `edge-router serve`: runs the router from a configuration file.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the router from a configuration file.")

    @Option(name: .long, help: "Configuration file (default: $EDGE_ROUTER_CONFIG, else edge-router.yaml).")
    var config: String?

    @Option(name: .long, help: "Listen on this port instead of the file's server.port.")
    var port: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func run() async throws {
        // Until the reload service traps SIGHUP, one must not end the process (its default action): an operator's
        // reload sent while the router starts is ignored instead.
        signal(SIGHUP, SIG_IGN)
        let logger = Runtime.bootstrap(logLevel: logLevel)
        let path = configurationPath(config)
        var configuration = try loadConfiguration(config)
        if let port { configuration.server.port = port }
        // A reload reads the same file, with the same `--port` override (the port itself only changes on restart).
        let portOverride = port
        let server = try EdgeRouterServer(
            configuration: configuration,
            reloadFrom: { () throws(EdgeRouterError) -> RouterConfiguration in
                var reloaded = try ConfigurationLoader.load(path: path)
                if let portOverride { reloaded.server.port = portOverride }
                return reloaded
            },
            logger: logger)
        try await Runtime.run(
            [server, IdleMemoryTrimmer(metrics: server.metrics), HangupReloadService(server: server, logger: logger)],
            drain: configuration.server.drainTimeout, logger: logger)
    }
}

/// The configuration file named by `--config`, `EDGE_ROUTER_CONFIG` or the default.
func configurationPath(_ path: String?) -> String {
    path ?? ProcessInfo.processInfo.environment[ConfigurationLoader.environmentVariable] ?? ConfigurationLoader.defaultPath
}

/// Loads the configuration named by `--config`, `EDGE_ROUTER_CONFIG` or the default, or exits with its errors.
func loadConfiguration(_ path: String?) throws -> RouterConfiguration {
    let resolved = configurationPath(path)
    do {
        return try ConfigurationLoader.load(path: resolved)
    } catch {
        Runtime.fail(error.message)
    }
}
