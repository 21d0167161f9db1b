import EdgeWire
import GeoIP
import HTTPTypes
import NIOCore
import RequestLog
import RoutingCore

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
        /// Writing a streamed hit's events one by one, ``CachePolicy/replayPacing`` apart.
        case replaying
        /// The response is complete, or the client left.
        case over
    }

    // The members without `private` are shared with the cache's phases (ChatResponder+Cache.swift), which an
    // extension in another file cannot reach otherwise; like every member, they are touched on `eventLoop` only.
    let pipeline: ChatPipeline
    private let head: HTTPRequest
    let endpoint: ChatEndpoint
    private let peer: IPAddress?
    let eventLoop: any EventLoop
    let writer: ChatResponseWriter
    let received = ContinuousClock.now
    /// The router's own id, or the client's (`x-edge-request-id`) for a resumable answer.
    var requestID = EdgeRequestContext.makeRequestID()
    var trail: RequestTrail
    /// The id the client chose for a resumable answer, checked at admission.
    private var clientRequestID: String?
    /// The `x-edge-metadata` header's fields, read at admission, merged over the body's once it is read.
    private var headerMetadata: [RequestMetadata.Field] = []
    var phase = Phase.receiving
    var key: GatewayKey?
    var body = ByteBuffer()
    var placement: ClientPlacement?
    private var exchange: ChatExchange?
    /// Counted in the router's in-flight requests (from the exchange's start to the outcome's record).
    private var inFlight = false
    /// Where the answer is kept when it is resumable; nil when it is not.
    var buffer: StreamBuffer?
    /// A Responses API request's conversation before its answer (a `previous_response_id`'s, then its input), kept
    /// with the answer when it is stored.
    private var responsesConversation: [ChatMessage]?
    /// Cancels the answer once it has run ``ResumeSettings/maxUnattended`` with nobody attached.
    private var unattendedTimer: Scheduled<Void>?
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
    /// The gap between a paced streamed hit's events (the request's policy's ``CachePolicy/replayPacing``).
    var replayPacing = Duration.zero
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
        // The path without its query: Gemini's `?key=` must never reach the record.
        self.trail = RequestTrail(
            requestID: requestID, endpoint: endpoint, path: head.path.map { String($0.prefix { $0 != "?" }) } ?? "",
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

    // MARK: Intake, then the exchange

    private func begin() {
        let intake = pipeline.intake
        let placement = intake.locate(head.headerFields, peer: peer, key: key)
        self.placement = placement
        pipeline.metrics.clientGeo.recordRequest(placement.labels)
        trail.country = placement.place.location?.countryISOCode
        trail.asn = placement.place.location?.asn.map(Int.init)
        let checked: CheckedChat
        do {
            checked = try admit(intake, placement: placement)
        } catch {
            if let previous = unknownPreviousResponse(error) {
                recall(previous, placement: placement)
                return
            }
            pipeline.metrics.recordRequest(.rejected, deployment: nil, duration: .zero)
            answer(error)
            return
        }
        proceed(checked)
    }

    /// The id of the `previous_response_id` this node does not hold, when `error` is the intake's 404 for it and the
    /// request log may hold it.
    private func unknownPreviousResponse(_ error: any Error) -> String? {
        guard pipeline.responses.recallsFromLog, key != nil, let error = error as? EdgeRouterError, error.code == .notFound,
            error.param == "previous_response_id"
        else { return nil }
        return (try? InboundChat(endpoint: endpoint, body: body.readableBytesView, headers: head.headerFields))?.responses?.previousResponseID
    }

    /// Reads the stored response `previous` from the request log (off the event loop), then admits the request
    /// again: the checks before the intake's have passed already (the key's limits are not counted twice).
    private func recall(_ previous: String, placement: ClientPlacement) {
        guard let keyID = key?.id else { return }
        phase = .recalling
        let responses = pipeline.responses
        let recalled = eventLoop.makePromise(of: Void.self)
        recalled.completeWithTask { _ = await responses.recall(id: previous, keyID: keyID) }
        recalled.futureResult.whenComplete { [self] _ in
            guard case .recalling = phase else { return }  // the client left meanwhile
            let checked: CheckedChat
            do {
                checked = try pipeline.intake.check(
                    endpoint: endpoint, body: body.readableBytesView, headers: head.headerFields, key: key, placement: placement,
                    received: received)
            } catch {
                pipeline.metrics.recordRequest(.rejected, deployment: nil, duration: .zero)
                answer(error)
                return
            }
            proceed(checked)
        }
    }

    /// Checked: on record, then into the cache, or planned and sent.
    private func proceed(_ checked: CheckedChat) {
        trail.model = checked.request.model
        trail.stream = checked.request.stream
        trail.promptBytes = body.readableBytes
        body.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { trail.metadata.merge(body: $0, dialect: endpoint.dialect) }
        }
        trail.metadata.merge(headerMetadata)  // over the body's fields
        if let logging = key?.bodyLogging { trail.keepBodies(logging, request: body) }
        let canonical = cacheKey(for: checked)
        writer.prepare(for: checked.request)
        if let responses = checked.request.responses, responses.store {
            responsesConversation = (checked.request.neutral ?? responses.chat).messages
        }
        if let key, Self.wantsResume(head.headerFields[.edgeResumable], key: key) {
            let framing: StreamBuffer.Framing =
                switch endpoint {
                case .gemini(_, true, false): .jsonArray
                default: checked.request.stream ? .sse : .whole
                }
            if let chosen = clientRequestID {
                use(requestID: chosen)
            } else if let fleet = pipeline.configuration.geo.fleet, fleet.secret != nil {
                // The id names the node that holds the answer, so that another node can send a resume here.
                use(requestID: "\(fleet.selfID).\(requestID)")
            }
            buffer = pipeline.streams.open(requestID: requestID, keyID: key.id, framing: framing)
            if let buffer { writer.keep(in: buffer) }
        }
        // The lookup comes before the routing plan: a hit (or a followed answer) needs none.
        self.checked = checked
        if let canonical, consultCache(checked, canonical) { return }
        planAndStart()
    }

    /// Plans the checked request's route (a routing decision) and asks the providers; a request no planned
    /// deployment can carry is refused here.
    func planAndStart() {
        guard let checked else { return }
        self.checked = nil
        let admitted: AdmittedChat
        do {
            admitted = try pipeline.intake.plan(checked, body: body.readableBytesView)
        } catch {
            abandonFill()
            pipeline.metrics.recordRequest(.rejected, deployment: nil, duration: .zero)
            answer(error)
            return
        }
        body = ByteBuffer()
        startExchange(admitted)
    }

    /// Asks the providers for the answer.
    func startExchange(_ admitted: AdmittedChat) {
        let exchange = ChatExchange(
            plan: admitted.plan, maxAttempts: pipeline.configuration.server.maxAttempts, deadline: admitted.deadline,
            environment: pipeline.exchangeEnvironment(
                for: admitted, eventLoop: eventLoop,
                logContext: ExchangeLogContext(requestID: requestID, model: admitted.model.name, residencyRule: placement?.place.rule?.name)))
        self.exchange = exchange
        phase = .starting
        inFlight = true
        pipeline.metrics.requestStarted()
        exchange.start(observer: self)
    }

    /// The checks before any upstream work: the metadata header (a 400 when malformed), the key's limits (a 429
    /// when over one; the headers that say where it stands go with every answer), then the intake's.
    private func admit(_ intake: ChatIntake, placement: ClientPlacement) throws(EdgeRouterError) -> CheckedChat {
        trail.metadata = RequestMetadata(defaults: key?.metadata.map { RequestMetadata.Field(name: $0.name, json: $0.json) } ?? [])
        if let header = head.headerFields[.edgeMetadata] { headerMetadata = try RequestMetadata.parse(header: header) }
        if let chosen = head.headerFields[.edgeRequestID], let key, Self.wantsResume(head.headerFields[.edgeResumable], key: key) {
            clientRequestID = try Self.checkedClientRequestID(chosen, key: key, streams: pipeline.streams)
        }
        cacheOptions = try CacheRequestOptions(head.headerFields, maxTTL: pipeline.cache.settings.maxRequestTTL)
        if let key {
            let limitHeaders = try pipeline.accounting.admit(key)
            self.placement?.headers.append(contentsOf: limitHeaders)
        }
        return try intake.check(
            endpoint: endpoint, body: body.readableBytesView, headers: head.headerFields, key: key, placement: placement, received: received)
    }

    // MARK: ChatExchangeObserver

    func exchange(_ exchange: ChatExchange, started: ExchangeStart) {
        guard case .starting = phase else { return }
        phase = .answering(started)
        trail.start = started
        trail.failures = exchange.failedAttempts
        trail.hedged = exchange.hedged
        pipeline.metrics.clientGeo.recordFirstToken(placement?.labels ?? .unknown, ttft: started.timeToFirstToken)
        cacheFill?.start(
            started.deployment.provider.dialect, provider: started.deployment.provider.id,
            upstreamModel: started.deployment.upstreamModel)
        writer.start(providerDialect: started.deployment.provider.dialect, headers: responseHeaders(started))
    }

    func exchange(_ exchange: ChatExchange, failedToStart error: EdgeRouterError) {
        guard case .starting = phase else { return }
        abandonFill()
        finish(.failed, start: nil)
        trail.failures = exchange.failedAttempts
        trail.hedged = exchange.hedged
        var error = error
        if let rule = placement?.place.rule {
            error.message += " (residency rule '\(rule.name)' allows only regions \(rule.allowedRegions.joined(separator: ", ")))"
        }
        answer(error)
    }

    func exchange(_ exchange: ChatExchange, step: ExchangeStep) {
        guard case .answering(let start) = phase else { return }
        switch step {
        case .frame(let frame):
            trail.observe(frame)
            cacheFill?.append(frame)
            if !writer.append(frame) { refuseOversizedAnswer(exchange, start: start) }
        case .completed:
            phase = .over
            storeFill(start)
            finish(.ok, start: start)
            exchange.finish()
            writer.complete(headers: responseHeaders(start), fallbackModel: start.deployment.upstreamModel) { [self] answer in
                storeResponse(answer)
            }
            account(status: 200, errorType: nil)
        case .clientStalled:
            phase = .over
            abandonFill()
            finish(.clientStalled, start: start)
            exchange.finish()
            writer.abort()
            account(status: 200, errorType: "client_stalled")
        case .failed(let error):
            phase = .over
            abandonFill()
            finish(.interrupted, start: start)
            exchange.finish()
            writer.fail(decorated(error))
            account(status: 200, errorType: ErrorResponse.openAICode(of: .streamInterrupted))
        }
    }

    func exchangeShouldFlush(_ exchange: ChatExchange) {
        writer.flush()
    }

    var isBackedUp: Bool { writer.isBackedUp }

    // MARK: Answers

    /// Answers with an error (before anything of a response was written), with the client's place headers.
    func answer(_ error: any Error) {
        phase = .over
        let shaped = decorated(error)
        writer.answer(shaped)
        account(status: ErrorResponse.status(of: shaped, in: endpoint.dialect), errorType: ErrorResponse.openAICode(of: shaped.code))
    }

    /// Puts the request on record, once: the log, the spend metrics, the key's budget and token rate. The answer
    /// is over: a resumable one's buffer is kept for ``ResumeSettings/retain`` from now.
    func account(status: Int, errorType: String?) {
        unattendedTimer?.cancel()
        unattendedTimer = nil
        if let buffer {
            trail.resumes = buffer.resumes
            pipeline.streams.finished(buffer)
        }
        guard !trail.isRecorded else { return }
        let record = trail.record(status: status, errorType: errorType)
        pipeline.accounting.account(record, key: key, deployment: trail.start?.deployment)
    }

    /// Keeps a complete Responses API answer (asked with `store`, the default) for `GET /v1/responses/{id}` and later
    /// `previous_response_id`s, under the key that asked.
    func storeResponse(_ answer: ResponsesAssembler) {
        guard let conversation = responsesConversation, let key else { return }
        var whole = conversation
        if let output = answer.outputMessage { whole.append(output) }
        pipeline.responses.save(
            id: answer.identity.responseID, keyID: key.id, json: answer.answerJSON(fallbackModel: "", fallbackID: ""), conversation: whole)
    }

    /// A client's own id for a resumable answer, so that it can fetch an answer whose head it never saw: 16 to 128
    /// letters, digits, `-` or `_` (chosen at random, it is as unguessable as the router's), and not an answer this
    /// key has buffered now (a 409).
    static func checkedClientRequestID(_ id: String, key: GatewayKey, streams: StreamRegistry) throws(EdgeRouterError) -> String {
        let allowed = (16...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x5F
            }
        guard allowed else {
            throw EdgeRouterError(
                .invalidRequest, "x-edge-request-id must be 16 to 128 letters, digits, '-' or '_'.", param: "x-edge-request-id")
        }
        guard streams.find(requestID: id, keyID: key.id) == nil else {
            throw EdgeRouterError(
                .invalidRequest, "An answer with this x-edge-request-id is held already: fetch it with GET /v1/edge/streams/\(id).",
                param: "x-edge-request-id", status: 409)
        }
        return id
    }

    /// Takes the client's id in place of the router's.
    private func use(requestID id: String) {
        requestID = id
        trail.requestID = id
        writer.use(requestID: id)
    }

    /// Whether an answer is kept for resuming: `x-edge-resumable: true` asks for it, `false` refuses it, and
    /// without the header the key's `resumable` decides.
    static func wantsResume(_ header: String?, key: GatewayKey) -> Bool {
        switch header?.lowercased() {
        case "true": true
        case "false": false
        default: key.resumable
        }
    }

    private func decorated(_ error: any Error) -> EdgeRouterError {
        EdgeRouterError.decorated(error, headers: placement?.headers ?? [:])
    }

    /// A non-streaming answer grew past `max_response_bytes`: holding more of it would let one request take the
    /// node's memory. The upstream call is cancelled and the client told why; the provider is not blamed (it
    /// answered what it was asked), so nothing goes to its breaker.
    private func refuseOversizedAnswer(_ exchange: ChatExchange, start: ExchangeStart) {
        exchange.stop()
        abandonFill()
        pipeline.metrics.responseLimit.record(deployment: start.deployment)
        finish(.interrupted, start: start)
        let limit = pipeline.configuration.server.maxResponseBytes
        answer(
            EdgeRouterError(
                .responseTooLarge,
                "The answer grew past this router's limit of \(limit) bytes for a non-streaming response; "
                    + "ask for a stream or fewer tokens."))
    }

    private func responseHeaders(_ start: ExchangeStart) -> HTTPFields {
        var headers = placement?.headers ?? [:]
        headers[.edgeRequestID] = requestID
        headers[.edgeProvider] = start.deployment.provider.id
        headers[.edgeUpstreamModel] = start.deployment.upstreamModel
        headers[.edgeAttempts] = String(start.attempts)
        headers[.edgeRouteReason] = start.reasonText
        headers[.edgeResumable] = buffer == nil ? "false" : "true"
        headers[.edgeTTFT] = String(Int(start.timeToFirstToken.milliseconds.rounded()))
        if let cacheStatus { headers[.edgeCache] = cacheStatus }
        let estimate = start.candidate.estimate
        if estimate.hasData {
            headers[.edgeTTFTEstimate] = String(Int((Double(estimate.meanNanos) / 1e6).rounded()))
            headers[.edgeEstimateAge] = String((estimate.newestSampleAgeNanos ?? 0) / 1_000_000)
        }
        return headers
    }

    /// Records the request's outcome, once.
    func finish(_ outcome: RouterMetrics.Outcome, start: ExchangeStart?) {
        guard inFlight else { return }
        inFlight = false
        pipeline.metrics.requestEnded()
        pipeline.metrics.recordRequest(outcome, deployment: start?.deployment, duration: ContinuousClock.now - received)
    }
}
