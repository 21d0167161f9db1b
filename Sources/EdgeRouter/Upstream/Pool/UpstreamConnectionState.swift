/// The life of one pooled upstream connection, as a plain value: what each event on the channel means and what
/// the connection must do about it. ``UpstreamConnection`` carries out the actions; the tests drive this alone.
///
/// A connection carries one request at a time (HTTP/1.1, no pipelining): idle in its pool, then sending and
/// receiving one exchange, then idle again if the provider keeps it alive, or closed.
struct UpstreamConnectionState: Sendable {
    enum Phase: Sendable, Equatable {
        /// In the pool, or just connected: ready for a request.
        case idle
        /// Carrying a request; `sawResponse` once any byte of the response arrived.
        case busy(sawResponse: Bool)
        /// Closed or closing: nothing more is sent on it.
        case closed
    }

    private(set) var phase = Phase.idle
    /// Requests this connection has started; a connection taken from the pool has served at least one before.
    private(set) var requests = 0
    /// Whether the response under way allows another request on the connection.
    private var keepAlive = true
    /// The receiver cannot take more: reads wait until it resumes.
    private(set) var isPaused = false
    /// NIO asked for a read while paused; it is issued on resume.
    private var readPending = false

    /// Whether a request may start now.
    var isReady: Bool { phase == .idle }

    /// A request starts. False when the connection is not ready (the caller fails the request, never sends).
    mutating func start() -> Bool {
        guard phase == .idle else { return false }
        phase = .busy(sawResponse: false)
        requests += 1
        keepAlive = true
        isPaused = false
        readPending = false
        return true
    }

    /// The response's head arrived; `keepAlive` is what its version and `Connection` header allow.
    mutating func receivedHead(keepAlive: Bool) {
        guard case .busy = phase else { return }
        phase = .busy(sawResponse: true)
        self.keepAlive = keepAlive
    }

    /// What the end of a response asks of the connection.
    enum EndAction: Sendable, Equatable {
        /// Back to the pool for the next request.
        case release
        /// The provider will not take another request on it (or it is closing): close it.
        case close
        /// The end of nothing under way (after an abort): ignore it.
        case ignore
    }

    mutating func receivedEnd() -> EndAction {
        guard case .busy = phase else { return .ignore }
        isPaused = false
        readPending = false
        guard keepAlive else {
            phase = .closed
            return .close
        }
        phase = .idle
        return .release
    }

    /// What the connection's failure or close means for the request it carries.
    enum FailureAction: Sendable, Equatable {
        /// Tell the receiver. `retryable` when nothing of the response came on a connection that had served
        /// requests before: a keep-alive connection the provider closed as the request went out, which a fresh
        /// connection may carry again.
        case failRequest(retryable: Bool)
        /// No request under way (an idle connection closed by the provider): just drop it from the pool.
        case dropIdle
        /// Already closed.
        case ignore
    }

    /// The channel failed or closed.
    mutating func failed() -> FailureAction {
        switch phase {
        case .closed:
            return .ignore
        case .idle:
            phase = .closed
            return .dropIdle
        case .busy(let sawResponse):
            phase = .closed
            return .failRequest(retryable: !sawResponse && requests > 1)
        }
    }

    /// The request's owner gave up on it. True when the connection must be closed (a response was under way:
    /// the rest of it would otherwise arrive for the next request).
    mutating func abort() -> Bool {
        guard case .busy = phase else { return false }
        phase = .closed
        return true
    }

    /// The receiver asked for no more data for now.
    mutating func pause() {
        if case .busy = phase { isPaused = true }
    }

    /// NIO asks to read. True when the read may go ahead now; otherwise it is held until ``resume()``.
    mutating func read() -> Bool {
        guard isPaused else { return true }
        readPending = true
        return false
    }

    /// The receiver caught up. True when a held read must be issued now.
    mutating func resume() -> Bool {
        isPaused = false
        defer { readPending = false }
        return readPending
    }
}
