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
        let logger = Runtime.bootstrap(logLevel: logLevel)
        var configuration = try loadConfiguration(config)
        if let port { configuration.server.port = port }
        let server = try EdgeRouterServer(configuration: configuration, logger: logger)
        try await Runtime.run([server, IdleMemoryTrimmer(metrics: server.metrics)], drain: configuration.server.drainTimeout, logger: logger)
    }
}

/// Loads the configuration named by `--config`, `EDGE_ROUTER_CONFIG` or the default, or exits with its errors.
func loadConfiguration(_ path: String?) throws -> RouterConfiguration {
    let resolved = path ?? ProcessInfo.processInfo.environment[ConfigurationLoader.environmentVariable] ?? ConfigurationLoader.defaultPath
    do {
        return try ConfigurationLoader.load(path: resolved)
    } catch {
        Runtime.fail(error.message)
    }
}
