import ArgumentParser
import EdgeRouter

/// `edge-router`: an edge-node LLM router. Argument parsing and wiring only; the work is in the libraries.
@main
struct EdgeRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-router",
        abstract: "An edge-node LLM router: one OpenAI-compatible endpoint, the fastest healthy provider.",
        version: EdgeRouterVersion.current,
        subcommands: [ServeCommand.self, CheckCommand.self, ProbeCommand.self, SimCommand.self, DemoCommand.self, SpendCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
