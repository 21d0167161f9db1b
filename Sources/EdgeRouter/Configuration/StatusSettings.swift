/// The live status page, `GET /status` (`status:` in the file; the page is always on, for admin keys only).
public struct StatusSettings: Sendable, Equatable {
    /// How often each deployment's estimate, breaker and counters are written to its history.
    public var sampleInterval: Duration = .seconds(10)
    /// How far back the history goes (and the page's charts).
    public var historyWindow: Duration = .seconds(15 * 60)
    /// How often a live page receives a new snapshot.
    public var eventInterval: Duration = .seconds(2)
    /// Live pages (server-sent event streams) served at once; one more is refused with 503.
    public var maxEventStreams: Int = 16
    /// How long a login lasts.
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    /// Logins kept at once; past it the oldest is forgotten first.
    public var maxSessions: Int = 256
    /// The region the page names for this node; nil shows the fleet's `self` node, if any.
    public var region: String?

    public init() {}

    /// Samples a deployment's history holds: the window over the interval, and the sample taken at the start.
    public var historyCapacity: Int {
        guard sampleInterval > .zero else { return 2 }
        return Int(min(max((historyWindow / sampleInterval).rounded(.up), 1), 100_000)) + 1
    }
}
