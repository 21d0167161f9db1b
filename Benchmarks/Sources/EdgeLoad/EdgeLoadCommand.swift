import ArgumentParser
import EdgeLoadCore
import Foundation

/// `edge-load`: an open-loop, streaming-aware load generator for OpenAI-style chat endpoints on loopback.
@main
struct EdgeLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-load",
        abstract: "Open-loop load for OpenAI chat-completion endpoints on loopback, with HDR latency histograms.",
        discussion: """
            'rate' starts requests at a constant rate whatever the answers do (no coordinated omission); \
            'streams' holds N requests in flight, each re-issued when it ends. Streams are timed to the first \
            content delta and between deltas. The result is JSON on stdout or in --output.
            """,
        subcommands: [RateCommand.self, StreamsCommand.self]
    )
}

/// Options both modes share.
struct CommonOptions: ParsableArguments {
    @Option(help: "Endpoint, e.g. http://127.0.0.1:8080/v1/chat/completions (loopback only).")
    var url: String

    @Option(help: "Gateway or provider key, sent as 'Authorization: Bearer KEY'.")
    var key: String?

    @Option(help: "Model name in the request body.")
    var model: String = "bench"

    @Option(help: "User message of the request.")
    var prompt: String = "Say hello."

    @Flag(help: "Ask for a streamed answer (stream: true).")
    var stream = false

    @Option(help: "Measured window, in seconds.")
    var duration: Double = 10

    @Option(help: "Traffic sent before the window and not measured, in seconds.")
    var warmup: Double = 2

    @Option(help: "A request not answered in full within this many seconds is a timeout.")
    var timeout: Double = 30

    @Option(help: "How long requests in flight at the end of the window may still finish, in seconds.")
    var drain: Double = 5

    @Option(help: "A gap between content deltas longer than this (ms) is a stall.")
    var stallMs: Double = 500

    @Option(help: "The upstream's TTFT (ms); a first delta later than this plus --stall-ms counts as a stall.")
    var expectedTtftMs: Double?

    @Option(help: "Event-loop threads of the generator.")
    var threads: Int = 1

    @Option(help: "Record CPU and memory of this process tree over the window, as name=pid (repeatable).")
    var watch: [String] = []

    @Option(help: "Free text copied into the report.")
    var label: String?

    @Option(help: "Write the JSON report here instead of stdout.")
    var output: String?

    func run(shape: LoadShape, ramp: Double, maxConnections: Int) async throws {
        let plan: LoadPlan
        let watched: [WatchedProcess]
        do {
            plan = LoadPlan(
                target: try TargetURL(url),
                request: RequestSpec(model: model, prompt: prompt, stream: stream, apiKey: key),
                shape: shape, warmupSeconds: warmup, durationSeconds: duration, rampSeconds: ramp,
                timeoutSeconds: timeout, drainSeconds: drain, maxConnections: maxConnections,
                stallMilliseconds: stallMs, expectedTTFTMilliseconds: expectedTtftMs, threads: threads)
            watched = try watch.map { argument throws(LoadError) in try WatchedProcess(argument: argument) }
        } catch {
            throw ValidationError(error.description)
        }
        let report = try await LoadRunner.run(plan, watch: watched, label: label)
        let data = try report.json() + Data("\n".utf8)
        if let output {
            try data.write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

/// `edge-load rate`: a constant arrival rate.
struct RateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate", abstract: "Start requests at a fixed rate for a duration (open loop).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Requests started per second.")
    var rate: Double

    @Option(help: "Most connections open at once; requests due while all are busy wait (and that wait counts).")
    var maxConnections: Int = 1024

    func run() async throws {
        try await common.run(shape: .rate(rate), ramp: 0, maxConnections: maxConnections)
    }
}

/// `edge-load streams`: N requests held in flight.
struct StreamsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streams", abstract: "Hold N requests (streams) in flight, each re-issued when it ends.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Requests held in flight, one connection each.")
    var concurrency: Int

    @Option(help: "Seconds over which the connections are opened, evenly.")
    var ramp: Double = 2

    func run() async throws {
        try await common.run(shape: .concurrency(concurrency), ramp: ramp, maxConnections: concurrency)
    }
}
