import ArgumentParser
import EdgeRouter

/// `edge-router check`: validates a configuration file and prints the catalog it describes.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validate a configuration file and print its catalog.")

    @Option(name: .long, help: "Configuration file (default: $EDGE_ROUTER_CONFIG, else edge-router.yaml).")
    var config: String?

    func run() async throws {
        let catalog = try loadCatalog(config)
        print("configuration OK: listening on \(catalog.server.host):\(catalog.server.port)")
        print("\nproviders:")
        for provider in catalog.providers {
            let key = provider.apiKey == nil ? "no key" : "key set"
            let capacity = provider.capacity.map { "capacity \($0)" } ?? "no capacity limit"
            print("  \(provider.id)  \(provider.dialect.rawValue)  \(provider.baseURL)  region \(provider.region)  \(key)  \(capacity)")
        }
        print("\nmodels:")
        for model in catalog.models {
            let aliases = model.aliases.isEmpty ? "" : " (aliases: \(model.aliases.joined(separator: ", ")))"
            print("  \(model.name)\(aliases)")
            for deployment in model.deployments {
                let price = "$\(deployment.price.inputPerMillion)/$\(deployment.price.outputPerMillion) per Mtok in/out"
                print("    -> \(deployment.label)  \(price)")
            }
        }
        print("\ngateway keys: \(catalog.keys.count), admin keys: \(catalog.adminKeys.count)")
    }
}
