import ArgumentParser
import EdgeRouter
import Foundation

/// `edge-router check`: validates a configuration file and prints the configuration it describes; with
/// `--deploy DIR`, also checks that the dashboards and alerting rules under DIR use only metrics the router exports.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validate a configuration file and print its configuration.",
        discussion: """
            With --deploy DIR, every .json, .yaml and .yml file under DIR (Grafana dashboards, Prometheus rules and \
            their tests, as in the repository's deploy/ folder) is read and each metric name it uses (edge_...) \
            must be one the router exports; with --deploy and no --config, only that is checked.
            """)

    @Option(name: .long, help: "Configuration file (default: $EDGE_ROUTER_CONFIG, else edge-router.yaml).")
    var config: String?

    @Option(name: .long, help: "A folder of dashboards and alerting rules whose metric names must exist (e.g. deploy/).")
    var deploy: String?

    func run() async throws {
        if let deploy {
            let (text, ok) = try Self.deployReport(directory: URL(fileURLWithPath: deploy))
            print(text, terminator: "")
            if !ok { throw ExitCode.failure }
            // The configuration is checked too when one is named; `--deploy` alone checks the folder only.
            guard config != nil || ProcessInfo.processInfo.environment[ConfigurationLoader.environmentVariable] != nil else { return }
            print("")
        }
        print(Self.report(try loadConfiguration(config)), terminator: "")
    }

    /// What `check --deploy` prints, and whether every metric name it found exists.
    static func deployReport(directory: URL) throws -> (text: String, ok: Bool) {
        let report = try MetricReferences.check(directory: directory)
        let unknown = report.unknown
        let distinct = Set(report.references.map(\.name)).count
        guard unknown.isEmpty else {
            var text = "deploy files use \(Set(unknown.map(\.name)).count) metric name(s) the router does not export:\n"
            for reference in unknown { text += "  \(reference.file):\(reference.line): \(reference.name)\n" }
            return (text, false)
        }
        return ("deploy files OK: \(report.files.count) files use \(distinct) metric names, all exported by the router\n", true)
    }

    /// What `check` prints for a valid configuration, line by line.
    static func report(_ configuration: RouterConfiguration) -> String {
        var output = ""
        func print(_ line: String) { output += line + "\n" }
        print("configuration OK: listening on \(configuration.server.host):\(configuration.server.port)")
        print("\nproviders:")
        for provider in configuration.providers {
            let key = provider.apiKey == nil ? "no key" : "key set"
            let capacity = provider.capacity.map { "capacity \($0)" } ?? "no declared capacity (up to \(UpstreamClients.defaultPoolSize) connections)"
            print("  \(provider.id)  \(provider.dialect.rawValue)  \(provider.displayURL)  region \(provider.region)  \(key)  \(capacity)")
        }
        print("\nmodels:")
        for model in configuration.models {
            let aliases = model.aliases.isEmpty ? "" : " (aliases: \(model.aliases.joined(separator: ", ")))"
            print("  \(model.name)\(aliases)")
            for deployment in model.deployments {
                let price = "$\(deployment.price.inputPerMillion)/$\(deployment.price.outputPerMillion) per Mtok in/out"
                print("    -> \(deployment.label)  \(price)")
            }
        }
        print("\ngateway keys: \(configuration.keys.count), admin keys: \(configuration.adminKeys.count)")
        if let probes = configuration.probes {
            let deployments = configuration.models.reduce(0) { $0 + $1.deployments.count }
            let perDay = probes.probesPerDay(deployments: deployments)
            // A probe costs its prompt (about 4 characters a token, plus the chat template) and max_tokens.
            let dollars = configuration.models.reduce(0.0) { total, model in
                let promptTokens = Double((model.probe.prompt ?? probes.prompt).count) / 4 + 8
                let outputTokens = Double(model.probe.maxTokens ?? probes.maxTokens)
                return total + model.deployments.reduce(0.0) { sum, deployment in
                    sum + (promptTokens * deployment.price.inputPerMillion + outputTokens * deployment.price.outputPerMillion) / 1e6
                } * probes.probesPerDay(deployments: 1)
            }
            let rate = String(format: "%.0f", perDay)
            let cost = String(format: "%.4f", dollars)
            print("probes: every \(Int(probes.interval.components.seconds)) s per deployment, \(rate) a day at most for \(deployments) deployments (fewer while live traffic keeps estimates fresh), about $\(cost) a day at the configuration's prices")
        } else {
            print("probes: off (add a probes: section to measure every deployment in the background)")
        }
        return output
    }
}
