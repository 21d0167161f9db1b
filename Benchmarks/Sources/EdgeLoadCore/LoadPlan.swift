/// How load is offered.
public enum LoadShape: Sendable, Equatable, Codable {
    /// Open loop: requests start at a constant rate (per second) whatever the answers do, so a slow server
    /// cannot slow the generator down and hide its own tail (coordinated omission).
    case rate(Double)
    /// Closed per slot: this many requests (streams) in flight at all times, each re-issued when it ends.
    case concurrency(Int)
}

/// One place requests go, by name (the simulator's name for client-side strategies).
public struct LoadTarget: Sendable {
    public var name: String
    public var url: TargetURL

    public init(name: String, url: TargetURL) {
        self.name = name
        self.url = url
    }
}

/// A schedule applied to simulators during a run: what `edge-load route` adds to a rate run.
public struct ScenarioPlan: Sendable {
    public var schedule: SimSchedule
    /// The simulators, in the schedule's provider order; their URLs are the simulators' bases
    /// (`http://127.0.0.1:PORT`), to which `/_sim/config` and `/v1/chat/completions` are added.
    public var sims: [LoadTarget]
    /// Length of each phase; the measured window is every phase end to end.
    public var phaseSeconds: Double

    public init(schedule: SimSchedule, sims: [LoadTarget], phaseSeconds: Double) {
        self.schedule = schedule
        self.sims = sims
        self.phaseSeconds = phaseSeconds
    }

    /// The measured window: all the phases.
    public var durationSeconds: Double { phaseSeconds * Double(schedule.phases.count) }
}

/// Everything a run needs to know, shared read-only by its workers.
public struct LoadPlan: Sendable {
    /// Where to send the requests: one target, or several that `strategy` picks from.
    public var targets: [LoadTarget]
    public var strategy: TargetStrategy
    /// The simulators' timeline, for a routing run.
    public var scenario: ScenarioPlan?
    /// A response header naming who served the request (a proxy's choice of provider), kept per request.
    public var servedByHeader: String?
    /// Whether to keep a record of every measured request (for the per-request log and per-phase figures).
    public var keepRequests: Bool
    /// The request to send, over and over.
    public var request: RequestSpec
    public var shape: LoadShape
    /// Traffic sent but not measured before the window (lets pools, caches and TCP windows settle).
    public var warmupSeconds: Double
    /// The measured window.
    public var durationSeconds: Double
    /// For ``LoadShape/concurrency(_:)``: streams are opened evenly over this time, so they do not march in step.
    public var rampSeconds: Double
    /// A request not answered in full this long after its start is a timeout.
    public var timeoutSeconds: Double
    /// After the window, how long in-flight requests may still finish before they count as unfinished.
    public var drainSeconds: Double
    /// For ``LoadShape/rate(_:)``: most connections open at once; past it requests queue (and their wait counts).
    public var maxConnections: Int
    /// A gap between content deltas longer than this is a stall.
    public var stallMilliseconds: Double
    /// The TTFT the upstream is set to; a first token later than this plus the stall threshold is a stall too.
    public var expectedTTFTMilliseconds: Double?
    /// Event-loop threads of the generator.
    public var threads: Int

    public init(
        targets: [LoadTarget], request: RequestSpec, shape: LoadShape, warmupSeconds: Double, durationSeconds: Double,
        rampSeconds: Double, timeoutSeconds: Double, drainSeconds: Double, maxConnections: Int,
        stallMilliseconds: Double, expectedTTFTMilliseconds: Double?, threads: Int, strategy: TargetStrategy = .url,
        scenario: ScenarioPlan? = nil, servedByHeader: String? = nil, keepRequests: Bool = false
    ) {
        self.targets = targets
        self.strategy = strategy
        self.scenario = scenario
        self.servedByHeader = servedByHeader
        self.keepRequests = keepRequests || scenario != nil
        self.request = request
        self.shape = shape
        self.warmupSeconds = warmupSeconds
        self.durationSeconds = durationSeconds
        self.rampSeconds = rampSeconds
        self.timeoutSeconds = timeoutSeconds
        self.drainSeconds = drainSeconds
        self.maxConnections = maxConnections
        self.stallMilliseconds = stallMilliseconds
        self.expectedTTFTMilliseconds = expectedTTFTMilliseconds
        self.threads = threads
    }
}

extension LoadPlan {
    /// A picker for one worker: for the oracle, the schedule's fastest provider of each phase and around each
    /// change of phase.
    func makePicker() -> TargetPicker {
        guard let scenario else { return TargetPicker(strategy: strategy, targets: targets.count) }
        let schedule = scenario.schedule
        let choices = schedule.phases.indices.map { schedule.fastest(phase: $0) ?? 0 }
        let handovers = schedule.phases.indices.dropFirst().map { schedule.fastest(across: $0) ?? 0 }
        return TargetPicker(
            strategy: strategy, targets: targets.count, choices: choices, handovers: handovers,
            phaseSeconds: scenario.phaseSeconds)
    }
}

/// The chat request sent: an OpenAI chat-completions body, streaming or not.
public struct RequestSpec: Sendable {
    public var model: String
    public var prompt: String
    public var stream: Bool
    /// Sent as `Authorization: Bearer <key>` when set.
    public var apiKey: String?

    public init(model: String, prompt: String, stream: Bool, apiKey: String?) {
        self.model = model
        self.prompt = prompt
        self.stream = stream
        self.apiKey = apiKey
    }

    /// The JSON body (the prompt escaped by hand: it is the only free text).
    public var body: String {
        var escaped = ""
        for scalar in prompt.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case _ where scalar.value < 0x20: escaped += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        let stream = self.stream ? #","stream":true"# : ""
        return #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(escaped)"}]\#(stream)}"#
    }
}

/// A plain-HTTP URL on loopback, split into what the connections need.
public struct TargetURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path and query, starting with `/`.
    public var path: String

    /// Parses `http://HOST:PORT/PATH`; only loopback hosts are accepted, as the harness must not load anything else.
    public init(_ text: String) throws(LoadError) {
        guard text.hasPrefix("http://") else { throw LoadError("only http:// URLs are supported: \(text)") }
        let rest = text.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]),
            (1...65535).contains(port)
        else { throw LoadError("the URL needs an explicit port: \(text)") }
        let host = String(authority[..<colon])
        guard Self.isLoopback(host) else {
            throw LoadError("refusing to load \(host): edge-load only sends traffic to loopback addresses")
        }
        self.host = host
        self.port = port
        self.path = path.isEmpty ? "/" : String(path)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "[::1]" || host == "::1" || host.hasPrefix("127.")
    }

    /// The same host and port with another path.
    public func with(path: String) -> TargetURL {
        var url = self
        url.path = path
        return url
    }

    /// The host as the socket layer wants it (an IPv6 literal without its brackets).
    public var connectHost: String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    public var description: String { "http://\(host):\(port)\(path)" }
}

/// A bad option or an impossible run.
public struct LoadError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
