import EdgeWire
import GeoIP
import HTTPTypes
import NIOCore

/// Answers one chat request on its connection's event loop, in one direction: the ``ChatIntake`` checks it, a
/// ``ChatExchange`` gets the answer from the providers, a ``ChatResponseWriter`` writes it in the client's
/// dialect. This type only moves the request along those stages and keeps the request's metrics; nothing in it
/// waits: the connection's ``ChatCompletionsHandler`` feeds it the request, the exchange feeds it the answer.
final class ChatResponder: ChatExchangeObserver {
    enum Phase {
        /// Reading the body.
        case receiving
        /// Asking the cache's shared tier (Redis) for the answer.
        case lookingUp
        /// Reading a `previous_response_id` this node does not hold from the request log (another node of the
        /// fleet, or an earlier run, stored it).
        case recalling
        /// Waiting for a first token.
        case starting
        /// Passing the stream on (the head is written for a streaming request).
        case answering(ExchangeStart)
        /// Following an identical request's answer under way (``CacheFill``), before its first token.
        case following
        /// Passing on the followed answer (the head is written for a streaming request).
        case relaying
        /// Writing a streamed hit's events one by one, spaced as ``CachePolicy/replayPacing`` says.
        case replaying
        /// The response is complete, or the client left.
        case over
    }

    // The members without `private` are shared with the cache's phases (ChatResponder+Cache.swift), which an
    // extension in another file cannot reach otherwise; like every member, they are touched on `eventLoop` only.
    let pipeline: ChatPipeline
    let head: HTTPRequest
    let endpoint: ChatEndpoint
    let peer: IPAddress?
    let eventLoop: any EventLoop
    let writer: ChatResponseWriter
    let received = ContinuousClock.now
    /// The router's own id, or the client's (`x-edge-request-id`) for a resumable answer.
    var requestID = EdgeRequestContext.makeRequestID()
    var trail: RequestTrail
    /// The id the client chose for a resumable answer, checked at admission.
    var clientRequestID: String?
    /// The `x-edge-metadata` header's fields, read at admission, merged over the body's once it is read.
    var headerMetadata: [RequestMetadata.Field] = []
    var phase = Phase.receiving
    var key: GatewayKey?
    var body = ByteBuffer()
    var placement: ClientPlacement?
    var exchange: ChatExchange?
    /// Counted in the router's in-flight requests (from the exchange's start to the outcome's record).
    var inFlight = false
    /// Where the answer is kept when it is resumable; nil when it is not.
    var buffer: StreamBuffer?
    /// A Responses API request's conversation before its answer (a `previous_response_id`'s, then its input), kept
    /// with the answer when it is stored.
    var responsesConversation: [ChatMessage]?
    /// Cancels the answer once it has run ``ResumeSettings/maxUnattended`` with nobody attached.
    var unattendedTimer: Scheduled<Void>?
    /// What the request's headers say about the cache, read at admission.
    var cacheOptions: CacheRequestOptions?
    /// The cached answer being fetched by this request (it leads), with the policy it is stored under.
    var cacheFill: CacheFill?
    var cachePolicy: CachePolicy?
    /// The answer under way this request follows.
    var followed: CacheFill?
    /// The checked request, kept until it is planned (a miss) or answered (a hit): a hit needs no routing plan.
    /// While following, if the followed answer fails before its first token, this request plans and asks the
    /// providers itself.
    var checked: CheckedChat?
    /// How a streamed hit's events are spaced (the request's policy's ``CachePolicy/replayPacing``).
    var replayPacing = ReplayPacing.fixed(.zero)
    /// The next event of a paced replay.
    var replayTimer: Scheduled<Void>?
    /// `x-edge-cache`: `hit`, `miss` or `coalesced`; nil when the request is not cacheable.
    var cacheStatus: String?
    /// The headers of a hit or a followed answer.
    var cacheHeaders = HTTPFields()

    init(
        pipeline: ChatPipeline, head: HTTPRequest, endpoint: ChatEndpoint, connection: ChatCompletionsHandler, peer: IPAddress?,
        eventLoop: any EventLoop
    ) {
        self.pipeline = pipeline
        self.head = head
        self.endpoint = endpoint
        self.peer = peer
        self.eventLoop = eventLoop
        // The path without its query: Gemini's `?key=` must never reach the record. (A path without one is shared,
        // not copied.)
        let path = head.path ?? ""
        self.trail = RequestTrail(
            requestID: requestID, endpoint: endpoint, path: path.utf8.contains(UInt8(ascii: "?")) ? String(path.prefix { $0 != "?" }) : path,
            received: received)
        self.writer = ChatResponseWriter(
            connection: connection, requestID: requestID,
            closing: head.headerFields[.connection]?.lowercased() == "close",
            maxResponseBytes: pipeline.configuration.server.maxResponseBytes)
        writer.use(endpoint)
    }

    // MARK: The request, from the handler

    /// Checks the key the head presents: a request without a valid one is refused at once, and its connection
    /// closed after the answer so that its body is never read. An accepted request that expects `100 Continue`
    /// gets it now. (The body's size is the connection's ``ConnectionGate``'s to check.)
    func receiveHead() {
        do {
            key = try pipeline.intake.authenticate(head.headerFields, path: head.path)
            trail.key = key
        } catch {
            answer(error)
            return
        }
        if head.headerFields[.expect]?.lowercased() == "100-continue" { writer.writeContinue() }
    }

    func receive(_ part: ByteBuffer) {
        guard case .receiving = phase else { return }
        var part = part
        body.writeBuffer(&part)
    }

    func receiveEnd() {
        guard case .receiving = phase else { return }
        begin()
    }

    /// The client closed its side or the connection dropped: upstream work stops at once, unless the answer is
    /// resumable: it then goes on into its buffer, for at most ``ResumeSettings/maxUnattended`` with nobody reading.
    func clientGone() {
        if let buffer {
            switch phase {
            case .starting, .answering:
                detach(keepingIn: buffer)
                return
            case .receiving, .over, .following, .relaying, .lookingUp, .replaying, .recalling:
                break
            }
        }
        if let fill = cacheFill, fill.hasFollowers {
            switch phase {
            case .starting, .answering:
                // Other clients follow this answer: it goes on for them (and into the cache).
                writer.detach()
                fill.keep(self)
                return
            default:
                break
            }
        }
        stopUpstream()
    }

    /// Stops the upstream work and records the request as cancelled; false when none was under way.
    @discardableResult
    private func stopUpstream() -> Bool {
        defer { phase = .over }
        switch phase {
        case .starting:
            exchange?.stop()
            finish(.cancelled, start: nil)
            // nginx's "client closed request": no answer was written.
            account(status: 499, errorType: "cancelled")
        case .answering(let start):
            exchange?.stop()
            finish(.cancelled, start: start)
            account(status: 200, errorType: "cancelled")
        case .following, .lookingUp, .recalling:
            account(status: 499, errorType: "cancelled")
        case .relaying:
            account(status: 200, errorType: "cancelled")
        case .replaying:
            replayTimer?.cancel()
            replayTimer = nil
            account(status: 200, errorType: "cancelled")
        case .receiving, .over:
            return false
        }
        abandonFill()
        return true
    }

    private func detach(keepingIn buffer: StreamBuffer) {
        writer.detach()
        buffer.clientLeft()
        buffer.keep(self)
        armUnattendedTimer(buffer)
    }

    private func armUnattendedTimer(_ buffer: StreamBuffer) {
        let limit = pipeline.streams.settings.maxUnattended
        unattendedTimer = eventLoop.scheduleTask(in: TimeAmount(limit)) { [weak self] in
            guard let self else { return }
            // A reader follows it: attended; check again later.
            guard !buffer.hasReaders else {
                self.armUnattendedTimer(buffer)
                return
            }
            self.cancelUnattended()
        }
    }

    /// Nobody came back within ``ResumeSettings/maxUnattended``: the upstream answer is cancelled.
    private func cancelUnattended() {
        if stopUpstream() { pipeline.streams.metrics.unattendedCancelled() }
    }

    /// The connection can take writes again.
    func writable() {
        exchange?.resume()
    }
}
