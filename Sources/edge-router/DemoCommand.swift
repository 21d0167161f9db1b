import ArgumentParser
import EdgeRouter
import Foundation
import ProviderSim

/// `edge-router demo`: five simulated providers (three OpenAI-dialect, one Anthropic, one Gemini) and the router in
/// front of them, on loopback.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the router in front of five simulated providers (one flaky; one Anthropic, one Gemini).")

    @Option(name: .long, help: "Router port.") var port: Int = 8080
    @Option(name: .long, help: "Comma-separated ports of the five simulated providers.") var simPorts: String = "9101,9102,9103,9104,9105"
    @Option(name: .long, help: "Log level.") var logLevel: String?
    @Option(
        name: .long,
        help: "MaxMind City database (default: data/GeoLite2-City.mmdb from scripts/fetch-geolite2, else the test database).")
    var geoDatabase: String?
    @Option(name: .long, help: "The request log's SQLite file (created if missing).")
    var log: String = "data/demo-requests.sqlite"
    @Option(name: .long, help: "A running Cog server to add as provider cog-echo and model demo-cog (scripts/demo --with-cog starts one).")
    var cogURL: String?

    func run() async throws {
        let logger = Runtime.bootstrap(logLevel: logLevel ?? "warning")
        let geoDatabase = self.geoDatabase ?? Self.defaultGeoDatabases.first { FileManager.default.isReadableFile(atPath: $0) }
        let ports = simPorts.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard ports.count == DemoConfiguration.providers.count else {
            Runtime.fail("edge-router demo: --sim-ports needs \(DemoConfiguration.providers.count) ports, like 9101,9102,9103,9104,9105")
        }
        // SQLite makes the file, not its directory.
        try? FileManager.default.createDirectory(
            at: URL(fileURLWithPath: log).deletingLastPathComponent(), withIntermediateDirectories: true)
        let configuration: RouterConfiguration
        do {
            configuration = try ConfigurationLoader.parse(
                yaml: DemoConfiguration.yaml(routerPort: port, simPorts: ports, geoDatabase: geoDatabase, logPath: log, cogURL: cogURL),
                file: "built-in demo configuration")
        } catch {
            Runtime.fail(error.message)
        }
        var sims: [ProviderSimulator] = []
        for (provider, simPort) in zip(DemoConfiguration.providers, ports) {
            var settings = SimulatorSettings()
            try settings.apply(json: provider.behaviour)
            settings.dialect = SimulatorDialect(rawValue: DemoConfiguration.simulatorDialect(of: provider.dialect)) ?? .openai
            sims.append(ProviderSimulator(port: simPort, settings: settings, logger: logger))
        }
        let router = try EdgeRouterServer(configuration: configuration, logger: logger) { port in
            printBanner(routerPort: port, simPorts: ports, geoDatabase: geoDatabase)
        }
        try await Runtime.run(sims + [router, IdleMemoryTrimmer(metrics: router.metrics)], drain: configuration.server.drainTimeout, logger: logger)
        print("demo stopped")
    }

    /// The real (2018) GeoLite2 City database when `scripts/fetch-geolite2` has fetched it, else MaxMind's test
    /// database from the repository (it knows only a few networks, such as 2.125.160.216 in GB).
    static let defaultGeoDatabases = ["data/GeoLite2-City.mmdb", "Tests/GeoIPTests/Fixtures/GeoIP2-City-Test.mmdb"]

    private func printBanner(routerPort: Int, simPorts: [Int], geoDatabase: String?) {
        let base = "http://127.0.0.1:\(routerPort)"
        var lines = ["EdgeRouter demo running. Ctrl-C stops everything.", ""]
        for (provider, simPort) in zip(DemoConfiguration.providers, simPorts) {
            let behaviour = provider.behaviour
            let flaky = (behaviour["error_rate"] as? Double).map { ", \(Int($0 * 100)) % of requests fail with 503" } ?? ""
            lines.append(
                "  simulated provider \(provider.id) (\(provider.dialect)) on http://127.0.0.1:\(simPort)  (TTFT ~\(behaviour["ttft_ms"] ?? "?") ms\(flaky))")
        }
        lines += [
            "  router on \(base)  (key \(DemoConfiguration.clientKey)): demo-chat on the three OpenAI-dialect providers,",
            "  demo-mini on two of them, demo-multi on sim-claude, sim-gemini and sim-steady (three dialects),",
            "  demo-embed (embeddings) on sim-fast and sim-gemini",
        ]
        if let cogURL {
            lines += [
                "  demo-cog on the Cog server at \(cogURL) (the test predictor; sim-fast when it is busy or down):",
                "  curl -N \(base)/v1/chat/completions -H 'Authorization: Bearer \(DemoConfiguration.clientKey)' \\",
                "    -d '{\"model\":\"demo-cog\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}'",
            ]
        }
        lines += [
            "",
            "Stream token by token:",
            "  curl -N \(base)/v1/chat/completions -H 'Authorization: Bearer \(DemoConfiguration.clientKey)' \\",
            "    -H 'Content-Type: application/json' \\",
            "    -d '{\"model\":\"demo-chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'",
            "",
            "One JSON answer, with the routing headers:",
            "  curl -si \(base)/v1/chat/completions -H 'Authorization: Bearer \(DemoConfiguration.clientKey)' \\",
            "    -H 'Content-Type: application/json' \\",
            "    -d '{\"model\":\"demo-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'",
            "",
            "The same model through Anthropic's Messages API (any model; demo-multi may be answered in any dialect):",
            "  curl -N \(base)/v1/messages -H 'x-api-key: \(DemoConfiguration.clientKey)' -H 'anthropic-version: 2023-06-01' \\",
            "    -d '{\"model\":\"demo-multi\",\"max_tokens\":256,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'",
            "And through Gemini's API:",
            "  curl -N '\(base)/v1beta/models/demo-multi:streamGenerateContent?alt=sse' -H 'x-goog-api-key: \(DemoConfiguration.clientKey)' \\",
            "    -d '{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hello\"}]}]}'",
            "",
            "Embeddings (demo-embed on sim-fast and sim-gemini, ranked by total latency), OpenAI's and Gemini's way:",
            "  curl -s \(base)/v1/embeddings -H 'Authorization: Bearer \(DemoConfiguration.clientKey)' \\",
            "    -d '{\"model\":\"demo-embed\",\"input\":[\"Hello\",\"world\"],\"dimensions\":4}'",
            "  curl -s '\(base)/v1beta/models/demo-embed:embedContent' -H 'x-goog-api-key: \(DemoConfiguration.clientKey)' \\",
            "    -d '{\"content\":{\"parts\":[{\"text\":\"Hello\"}]}}'",
            "",
            "Make a provider fail every request:",
            "  curl -s http://127.0.0.1:\(simPorts[0])/_sim/config -d '{\"error_rate\": 1.0, \"error_status\": 503}'",
            "Metrics: curl -s \(base)/metrics",
            "",
            "Every request is on record in \(log). Label requests with your own metadata, then see spend by it:",
            "  curl -s \(base)/v1/chat/completions -H 'Authorization: Bearer \(DemoConfiguration.clientKey)' \\",
            "    -H 'x-edge-metadata: {\"customer\":\"acme\"}' -d '{\"model\":\"demo-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'",
            "  curl -s '\(base)/admin/spend?group_by=metadata.customer,model' -H 'Authorization: Bearer \(DemoConfiguration.adminKey)'",
            "  .build/release/edge-router spend --log \(log) --group-by metadata.team,metadata.customer,model --since 24h",
            "The key \(DemoConfiguration.cappedKey) has a budget of $0.001 a day: after a few requests it gets 429 with Retry-After.",
            "",
        ]
        if let geoDatabase {
            lines += [
                "Geolocation from \(geoDatabase); loopback is a trusted proxy, so X-Forwarded-For plays the client.",
                "A client in Britain (rule eu-only: EU clients are served only from eu-* regions):",
                "  curl -si \(base)/v1/chat/completions -H 'Authorization: Bearer \(DemoConfiguration.clientKey)' \\",
                "    -H 'X-Forwarded-For: 2.125.160.216' \\",
                "    -d '{\"model\":\"demo-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}' | grep -i x-edge",
                "Nodes ranked by distance: curl -s \(base)/v1/edge/nearest -H 'Authorization: Bearer \(DemoConfiguration.clientKey)' -H 'X-Forwarded-For: 2.125.160.216'",
            ]
        } else {
            lines.append("Geolocation is off: no MaxMind database found (run scripts/fetch-geolite2).")
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
