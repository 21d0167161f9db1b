import ArgumentParser
import EdgeRouter
import Foundation
import ProviderSim

/// `edge-router demo`: three simulated providers and the router in front of them, on loopback.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the router in front of three simulated providers (one flaky).")

    @Option(name: .long, help: "Router port.") var port: Int = 8080
    @Option(name: .long, help: "Comma-separated ports of the three simulated providers.") var simPorts: String = "9101,9102,9103"
    @Option(name: .long, help: "Log level.") var logLevel: String?

    func run() async throws {
        let logger = Runtime.bootstrapLogging(logLevel ?? "warning")
        let ports = simPorts.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard ports.count == DemoConfiguration.providers.count else {
            Runtime.fail("edge-router demo: --sim-ports needs \(DemoConfiguration.providers.count) ports, like 9101,9102,9103")
        }
        let catalog: Catalog
        do {
            catalog = try ConfigurationLoader.parse(
                yaml: DemoConfiguration.yaml(routerPort: port, simPorts: ports), file: "built-in demo configuration")
        } catch {
            Runtime.fail(error.message)
        }
        var sims: [ProviderSimulator] = []
        for (provider, simPort) in zip(DemoConfiguration.providers, ports) {
            var settings = SimulatorSettings()
            try settings.apply(json: provider.behaviour)
            sims.append(ProviderSimulator(port: simPort, settings: settings, logger: logger))
        }
        let router = EdgeRouterServer(catalog: catalog, logger: logger) { port in
            printBanner(routerPort: port, simPorts: ports)
        }
        try await Runtime.run(sims + [router], drain: catalog.server.drainTimeout, logger: logger)
        print("demo stopped")
    }

    private func printBanner(routerPort: Int, simPorts: [Int]) {
        let base = "http://127.0.0.1:\(routerPort)"
        var lines = ["EdgeRouter demo running. Ctrl-C stops everything.", ""]
        for (provider, simPort) in zip(DemoConfiguration.providers, simPorts) {
            let behaviour = provider.behaviour
            let flaky = (behaviour["error_rate"] as? Double).map { ", \(Int($0 * 100)) % of requests fail with 503" } ?? ""
            lines.append(
                "  simulated provider \(provider.id) on http://127.0.0.1:\(simPort)  (TTFT ~\(behaviour["ttft_ms"] ?? "?") ms\(flaky))")
        }
        lines += [
            "  router on \(base)  (models demo-chat on all three, demo-mini on two; key \(DemoConfiguration.clientKey))",
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
            "Make a provider fail every request:",
            "  curl -s http://127.0.0.1:\(simPorts[0])/_sim/config -d '{\"error_rate\": 1.0, \"error_status\": 503}'",
            "Metrics: curl -s \(base)/metrics",
        ]
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
