import Synchronization

/// Counters a test or benchmark reads through `GET /_sim/stats`.
public struct SimulatorStats: Sendable, Equatable, Codable {
    /// Requests received on a provider endpoint (chat and embeddings).
    public var received = 0
    /// Of those, embeddings requests.
    public var embeddings = 0
    /// Of those, Responses API requests (`POST /v1/responses`).
    public var responses = 0
    /// Answers sent in full.
    public var completed = 0
    /// Answers the client abandoned before they were complete.
    public var cancelled = 0
    /// Requests answered with an injected error status.
    public var failed = 0
    /// Streams cut on purpose (`cut_after_tokens`).
    public var cut = 0
    /// Answers being sent now.
    public var inFlight = 0
    /// Connections accepted (with TLS, each is a handshake): how well clients reuse them.
    public var connections = 0

    public init() {}
}

/// Where one simulated request ended.
enum RequestEnd {
    case completed, cancelled, failed, cut
}
