import NIOCore

/// What a client connection is waiting for from its client, and until when: a plain value owned by the
/// connection's ``ConnectionGate``, which arms one timer for ``deadline``.
///
/// - No request in progress and no answer being written: the connection is idle; it may stay so for `idle`.
/// - The first byte of a request arrived: its head must be complete within `headerRead`.
/// - The head arrived: the body must be complete within `bodyRead`.
/// - The request was read and its answer is being written (a stream may take minutes): no deadline.
struct ReadTimeline {
    /// What the connection waits for.
    enum Phase: Equatable {
        /// The first byte of the next request.
        case betweenRequests
        /// The rest of a request head.
        case head
        /// The rest of a request body.
        case body
    }

    let limits: ConnectionLimits
    private(set) var phase = Phase.betweenRequests
    /// When the wait of ``phase`` ends; nil while answers are being written and no request is being read.
    private(set) var deadline: NIODeadline?
    /// Requests whose answer has not ended, the one being read included.
    private(set) var unanswered = 0

    init(limits: ConnectionLimits, now: NIODeadline) {
        self.limits = limits
        self.deadline = now + TimeAmount(limits.idle)
    }

    /// The timeout that fires if ``deadline`` passes.
    var timeout: ConnectionMetrics.Timeout {
        switch phase {
        case .betweenRequests: .idle
        case .head: .header
        case .body: .body
        }
    }

    /// Bytes arrived (before the HTTP decoder sees them).
    mutating func bytesArrived(now: NIODeadline) {
        guard phase == .betweenRequests else { return }
        phase = .head
        deadline = now + TimeAmount(limits.headerRead)
    }

    /// A request head was decoded.
    mutating func headReceived(now: NIODeadline) {
        phase = .body
        unanswered += 1
        deadline = now + TimeAmount(limits.bodyRead)
    }

    /// A request's end was decoded.
    mutating func requestEnded() {
        phase = .betweenRequests
        deadline = nil
    }

    /// A request was refused at its head, which went no further: no answer of the application's is due for it.
    mutating func headRefused() {
        unanswered = max(0, unanswered - 1)
    }

    /// An answer ended: with nothing left to answer and no request begun, the connection is idle from now.
    mutating func answerEnded(now: NIODeadline) {
        unanswered = max(0, unanswered - 1)
        if unanswered == 0, phase == .betweenRequests {
            deadline = now + TimeAmount(limits.idle)
        }
    }
}
