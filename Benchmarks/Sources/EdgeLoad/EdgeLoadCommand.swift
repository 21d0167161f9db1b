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
            'streams' holds N requests in flight, each re-issued when it ends; 'route' is a rate run while a \
            schedule changes several simulators, with requests sent to a proxy or spread client-side (round-robin, \
            oracle). Streams are timed to the first content delta and between deltas. The result is JSON on stdout \
            or in --output.
            """,
        subcommands: [RateCommand.self, StreamsCommand.self, RouteCommand.self]
    )
}

/// Options both modes share.
struct CommonOptions: ParsableArguments {
    @Option(help: "Endpoint, e.g. http://127.0.0.1:8080/v1/chat/completions (loopback only).")
    var url: String?

    @Option(help: "Gateway or provider key, sent as 'Authorization: Bearer KEY'.")
    var key: String?

    @Option(help: "Model name in the request body.")
    var model: String = "bench"

    @Option(help: "User message of the request.")
    var prompt: String = "Say hello."

    @Flag(help: "Ask for a streamed answer (stream: true).")
    var stream = false

    @Option(help: "Measured window, in seconds (default 10; a route run's window is its schedule).")
    var duration: Double?

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

    /// The one URL of a rate or streams run.
    func target() throws(LoadError) -> [LoadTarget] {
        guard let url else { throw LoadError("--url is required") }
        return [LoadTarget(name: "url", url: try TargetURL(url))]
    }

    func run(shape: LoadShape, ramp: Double, maxConnections: Int, routing: RouteOptions? = nil) async throws {
        let plan: LoadPlan
        let watched: [WatchedProcess]
        do {
            let request = RequestSpec(model: model, prompt: prompt, stream: stream, apiKey: key)
            if let routing {
                let (scenario, targets) = try routing.scenario(url: url)
                if let duration, duration != scenario.durationSeconds {
                    throw LoadError("--duration \(duration) differs from the schedule's \(scenario.durationSeconds) s")
                }
                plan = LoadPlan(
                    targets: targets, request: request, shape: shape, warmupSeconds: warmup,
                    durationSeconds: scenario.durationSeconds, rampSeconds: ramp, timeoutSeconds: timeout,
                    drainSeconds: drain, maxConnections: maxConnections, stallMilliseconds: stallMs,
                    expectedTTFTMilliseconds: expectedTtftMs, threads: threads, strategy: routing.strategy,
                    scenario: scenario, servedByHeader: routing.servedByHeader)
            } else {
                plan = LoadPlan(
                    targets: try target(), request: request, shape: shape, warmupSeconds: warmup,
                    durationSeconds: duration ?? 10, rampSeconds: ramp, timeoutSeconds: timeout, drainSeconds: drain,
                    maxConnections: maxConnections, stallMilliseconds: stallMs, expectedTTFTMilliseconds: expectedTtftMs,
                    threads: threads)
            }
            watched = try watch.map { argument throws(LoadError) in try WatchedProcess(argument: argument) }
        } catch let error as LoadError {
            throw ValidationError(error.description)
        }
        let result = try await LoadRunner.run(plan, watch: watched, label: label)
        let data = try result.report.json() + Data("\n".utf8)
        if let output {
            try data.write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(data)
        }
        if let log = routing?.requestsLog {
            let lines = [RequestRecord.csvHeader] + result.requests.map(\.csvLine)
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: log))
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

/// What `route` adds to a rate run: the schedule, the simulators, and how requests pick a target.
struct RouteOptions: ParsableArguments {
    @Option(help: "The simulators' timeline (JSON; see Benchmarks/Schedules/).")
    var schedule: String

    @Option(help: "A simulator of the schedule, as NAME=http://127.0.0.1:PORT (repeatable, one per provider).")
    var sim: [String] = []

    @Option(help: "url: send every request to --url (a proxy routes); round-robin or oracle: pick a simulator here.")
    var strategy: TargetStrategy = .url

    @Option(help: "Length of each phase in seconds (default: the schedule's).")
    var phaseSeconds: Double?

    @Option(help: "A response header that names the provider that served the request (url strategy).")
    var servedByHeader: String?

    @Option(help: "Write every measured request here as CSV (start_s,ttft_ms,total_ms,outcome,served_by).")
    var requestsLog: String?

    /// The schedule with its simulators, and the targets of the strategy: the URL for `url`, else the
    /// simulators' chat endpoints in the schedule's order.
    func scenario(url: String?) throws(LoadError) -> (ScenarioPlan, [LoadTarget]) {
        let schedule = try SimSchedule.load(self.schedule)
        var given: [String: TargetURL] = [:]
        for argument in sim {
            guard let equals = argument.firstIndex(of: "=") else { throw LoadError("--sim wants NAME=URL, got \(argument)") }
            given[String(argument[..<equals])] = try TargetURL(String(argument[argument.index(after: equals)...]))
        }
        let sims = try schedule.providers.map { provider throws(LoadError) in
            guard let url = given.removeValue(forKey: provider.name) else {
                throw LoadError("no --sim for the schedule's provider \(provider.name)")
            }
            return LoadTarget(name: provider.name, url: url)
        }
        if let extra = given.keys.sorted().first { throw LoadError("--sim \(extra) is not a provider of the schedule") }
        let phaseSeconds = self.phaseSeconds ?? schedule.phaseSeconds
        guard phaseSeconds > 0 else { throw LoadError("--phase-seconds must be positive") }
        let scenario = ScenarioPlan(schedule: schedule, sims: sims, phaseSeconds: phaseSeconds)
        switch strategy {
        case .url:
            guard let url else { throw LoadError("--strategy url needs --url") }
            return (scenario, [LoadTarget(name: "url", url: try TargetURL(url))])
        case .roundRobin, .oracle:
            guard url == nil else { throw LoadError("--url is for --strategy url only: \(strategy.rawValue) picks simulators") }
            let chat = sims.map { LoadTarget(name: $0.name, url: $0.url.with(path: "/v1/chat/completions")) }
            return (scenario, chat)
        }
    }
}

/// `edge-load route`: a rate run while a schedule changes the simulators (the routing-quality scenario).
struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Open-loop load while a schedule changes several simulators; per-phase TTFT and who served.",
        discussion: """
            Before the warm-up every simulator is reset to the schedule's first phase (and reseeded), then each \
            phase's changes are posted to /_sim/config when it starts; the measured window is every phase. With \
            --strategy url the requests go to --url (EdgeRouter, LiteLLM); round-robin rotates over the \
            simulators with no health check and no retry; oracle sends each request to the simulator the \
            schedule says has the lowest expected TTFT at its start.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var routing: RouteOptions

    @Option(help: "Requests started per second.")
    var rate: Double

    @Option(help: "Most connections open at once; requests due while all are busy wait (and that wait counts).")
    var maxConnections: Int = 1024

    func run() async throws {
        try await common.run(shape: .rate(rate), ramp: 0, maxConnections: maxConnections, routing: routing)
    }
}

extension TargetStrategy: ExpressibleByArgument {}
