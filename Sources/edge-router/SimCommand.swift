import ArgumentParser
import EdgeRouter
import NIOCore
import NIOPosix
import ProviderSim

/// `edge-router sim`: runs one simulated provider.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a simulated provider: OpenAI, Anthropic or Gemini (change it at run time with POST /_sim/config).")

    @Option(name: .long, help: "Provider API to speak: openai, anthropic or gemini.") var dialect: String = "openai"
    @Option(name: .long, help: "Port to listen on.") var port: Int = 9101
    @Option(name: .long, help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(name: .long, help: "Median (or fixed) time to first token, in ms.") var ttftMs: Double = 50
    @Option(name: .long, help: "TTFT distribution: fixed, normal or lognormal.") var distribution: String = "fixed"
    @Option(name: .long, help: "Log-normal shape (sigma).") var sigma: Double = 0.5
    @Option(name: .long, help: "Normal standard deviation, in ms.") var spreadMs: Double = 10
    @Option(name: .long, help: "Random seed.") var seed: UInt64 = 1
    @Option(name: .long, help: "Tokens per second after the first.") var tokensPerSecond: Double = 100
    @Option(name: .long, help: "Content tokens per answer.") var answerTokens: Int = 16
    @Option(name: .long, help: "Share of requests failing with --error-status.") var errorRate: Double = 0
    @Option(name: .long, help: "Status of injected failures.") var errorStatus: Int = 503
    @Option(name: .long, help: "Event-loop threads serving connections (default: one per core).") var eventLoops: Int?
    @Option(name: .long, help: "Log level.") var logLevel: String?
    @Option(name: .long, help: "Serve HTTPS with this PEM certificate chain (with --tls-key).") var tlsCert: String?
    @Option(name: .long, help: "The PEM private key of --tls-cert.") var tlsKey: String?

    func validate() throws {
        if let eventLoops, eventLoops < 1 { throw ValidationError("--event-loops must be at least 1") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if SimulatorDialect(rawValue: dialect) == nil {
            throw ValidationError("--dialect must be openai, anthropic or gemini")
        }
    }

    func run() async throws {
        let logger = Runtime.bootstrap(logLevel: logLevel)
        var settings = SimulatorSettings()
        do {
            try settings.apply(json: [
                "ttft_ms": ttftMs, "ttft_distribution": distribution, "ttft_sigma": sigma, "ttft_spread_ms": spreadMs,
                "seed": seed, "tokens_per_second": tokensPerSecond, "answer_tokens": answerTokens,
                "error_rate": errorRate, "error_status": errorStatus, "dialect": dialect,
            ])
        } catch {
            Runtime.fail("edge-router sim: \(error)")
        }
        // NIO's shared group has one loop per core (or NIO_SINGLETON_GROUP_LOOP_COUNT); a group of its own when
        // the count is given, so the simulator can be held to fewer cores than the machine has.
        let group: any EventLoopGroup = eventLoops.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
            ?? MultiThreadedEventLoopGroup.singleton
        let spoken = settings.dialect
        let tls = tlsCert.flatMap { cert in tlsKey.map { SimulatorTLS(certificateChainPath: cert, privateKeyPath: $0) } }
        let scheme = tls == nil ? "http" : "https"
        let sim = ProviderSimulator(host: host, port: port, settings: settings, eventLoopGroup: group, tls: tls, logger: logger) { port in
            let base = spoken == .gemini ? "v1beta" : "v1"
            print("simulated \(spoken.rawValue) provider listening on \(scheme)://\(host):\(port)/\(base)")
        }
        try await Runtime.run([sim], drain: .seconds(5), logger: logger)
        if eventLoops != nil { try await group.shutdownGracefully() }
    }
}
