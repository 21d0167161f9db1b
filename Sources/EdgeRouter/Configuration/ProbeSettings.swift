import RoutingCore

/// Background probing (`probes:` in the file; probing is on when the section is present).
public struct ProbeSettings: Sendable, Equatable {
    /// Time between probes of a deployment whose breaker is closed.
    public var interval: Duration = .seconds(15)
    /// Share of the interval by which each probe is moved at random, so probes never fire together.
    public var jitter: Double = 0.2
    /// Time between probes of a deployment whose breaker is open or half-open (probes are its trial calls).
    public var openInterval: Duration = .seconds(2)
    /// Probes running at once, across all deployments.
    public var maxConcurrent: Int = 16
    /// Probes started per minute, across all deployments.
    public var maxPerMinute: Int = 600
    /// Every Nth probe of a deployment opens a fresh connection, so connect and TLS stay measured.
    public var coldEvery: Int = 10
    /// Connect and first-token limits of a probe.
    public var connectTimeout: Duration = .seconds(5)
    public var firstTokenTimeout: Duration = .seconds(15)
    /// `/readyz` waits for every deployment's first probe, at most this long after start.
    public var readyTimeout: Duration = .seconds(10)
    /// A CA bundle for providers with private certificates (TLS verification is always on).
    public var caBundlePath: String?
    /// The probe's prompt and token limit, unless a model sets its own.
    public var prompt = "Reply with OK."
    public var maxTokens = 1

    public init() {}

    /// Probes per day across `deployments` deployments with every breaker closed, at the configured interval.
    public func probesPerDay(deployments: Int) -> Double {
        Double(deployments) * 86_400 / max(interval.milliseconds / 1000, 0.001)
    }
}
