/// Where one keep-alive connection is between requests, and whether it closes after the current response: the
/// decisions of ``SimulatorConnection`` without its I/O, so they are tested on their own.
///
/// HTTP/1.1 keeps a connection open unless the request says `Connection: close` (HTTP/1.0: unless it says
/// `keep-alive`). A graceful shutdown quiesces every connection: an idle one closes at once, a busy one after the
/// response it is sending (which then says `connection: close` if its head has not gone yet).
struct ConnectionLifecycle: Equatable {
    enum State: Equatable {
        /// Waiting for a request head.
        case idle
        /// A request head has arrived; its body is being collected.
        case receiving
        /// The request is complete and its response is being sent (a stream may take seconds).
        case responding
        /// Closed or closing: nothing more is read or sent.
        case closed
    }

    private(set) var state = State.idle
    private var keepAlive = true
    private(set) var quiescing = false

    /// A request head arrived. False when a response is still being sent: the request was pipelined and waits.
    mutating func requestStarted(keepAlive: Bool) -> Bool {
        guard state == .idle else { return false }
        self.keepAlive = keepAlive
        state = .receiving
        return true
    }

    /// The request's end arrived: the response starts.
    mutating func requestCompleted() {
        if state == .receiving { state = .responding }
    }

    /// Whether the connection closes once the current response is sent (the head should say so).
    var closesAfterResponse: Bool { !keepAlive || quiescing }

    enum AfterResponse: Equatable {
        /// Close the connection.
        case close
        /// Read the next request (deliver any that was pipelined).
        case readNext
    }

    /// The response was sent in full.
    mutating func responseCompleted() -> AfterResponse {
        guard state == .responding || state == .receiving else { return .close }
        if closesAfterResponse {
            state = .closed
            return .close
        }
        state = .idle
        return .readNext
    }

    enum QuiesceAction: Equatable {
        case closeNow
        case closeAfterResponse
        case none
    }

    /// A graceful shutdown began.
    mutating func quiesce() -> QuiesceAction {
        quiescing = true
        switch state {
        case .idle:
            state = .closed
            return .closeNow
        case .receiving, .responding: return .closeAfterResponse
        case .closed: return .none
        }
    }

    /// The connection closed (either side), or is being closed.
    mutating func closed() {
        state = .closed
    }
}
