/// How load is offered.
public enum LoadShape: Sendable, Equatable, Codable {
    /// Open loop: requests start at a constant rate (per second) whatever the answers do, so a slow server
    /// cannot slow the generator down and hide its own tail (coordinated omission).
    case rate(Double)
    /// Closed per slot: this many requests (streams) in flight at all times, each re-issued when it ends.
    case concurrency(Int)
}

/// Everything a run needs to know, shared read-only by its workers.
public struct LoadPlan: Sendable {
    /// Where to send the requests.
    public var target: TargetURL
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
        target: TargetURL, request: RequestSpec, shape: LoadShape, warmupSeconds: Double, durationSeconds: Double,
        rampSeconds: Double, timeoutSeconds: Double, drainSeconds: Double, maxConnections: Int,
        stallMilliseconds: Double, expectedTTFTMilliseconds: Double?, threads: Int
    ) {
        self.target = target
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
