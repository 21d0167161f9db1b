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
    private enum Phase {
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

    private let pipeline: ChatPipeline
    private let head: HTTPRequest
    private let endpoint: ChatEndpoint
    private let peer: IPAddress?
    private let eventLoop: any EventLoop
    private let writer: ChatResponseWriter
    private let received = ContinuousClock.now
    /// The router's own id, or the client's (`x-edge-request-id`) for a resumable answer.
    private var requestID = EdgeRequestContext.makeRequestID()
    private var trail: RequestTrail
    /// The id the client chose for a resumable answer, checked at admission.
    private var clientRequestID: String?
    /// The `x-edge-metadata` header's fields, read at admission, merged over the body's once it is read.
    private var headerMetadata: [RequestMetadata.Field] = []
    private var phase = Phase.receiving
    private var key: GatewayKey?
    private var body = ByteBuffer()
    private var placement: ClientPlacement?
    private var exchange: ChatExchange?
    /// Counted in the router's in-flight requests (from the exchange's start to the outcome's record).
    private var inFlight = false
    /// Where the answer is kept when it is resumable; nil when it is not.
    private var buffer: StreamBuffer?
    /// A Responses API request's conversation before its answer (a `previous_response_id`'s, then its input), kept
    /// with the answer when it is stored.
    private var responsesConversation: [ChatMessage]?
    /// Cancels the answer once it has run ``ResumeSettings/maxUnattended`` with nobody attached.
    private var unattendedTimer: Scheduled<Void>?
    /// What the request's headers say about the cache, read at admission.
    private var cacheOptions: CacheRequestOptions?
    /// The cached answer being fetched by this request (it leads), with the policy it is stored under.
    private var cacheFill: CacheFill?
    private var cachePolicy: CachePolicy?
    /// The answer under way this request follows.
    private var followed: CacheFill?
    /// The checked request, kept until it is planned (a miss) or answered (a hit): a hit needs no routing plan.
    /// While following, if the followed answer fails before its first token, this request plans and asks the
    /// providers itself.
    private var checked: CheckedChat?
    /// The gap between a paced streamed hit's events (the request's policy's ``CachePolicy/replayPacing``).
    private var replayPacing = Duration.zero
    /// The next event of a paced replay.
    private var replayTimer: Scheduled<Void>?
    /// `x-edge-cache`: `hit`, `miss` or `coalesced`; nil when the request is not cacheable.
    private var cacheStatus: String?
    /// The headers of a hit or a followed answer.
    private var cacheHeaders = HTTPFields()

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
    private func planAndStart() {
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
    private func startExchange(_ admitted: AdmittedChat) {
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
    private func answer(_ error: any Error) {
        phase = .over
        let shaped = decorated(error)
        writer.answer(shaped)
        account(status: ErrorResponse.status(of: shaped, in: endpoint.dialect), errorType: ErrorResponse.openAICode(of: shaped.code))
    }

    /// Puts the request on record, once: the log, the spend metrics, the key's budget and token rate. The answer
    /// is over: a resumable one's buffer is kept for ``ResumeSettings/retain`` from now.
    private func account(status: Int, errorType: String?) {
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
    private func storeResponse(_ answer: ResponsesAssembler) {
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

    // MARK: The response cache

    /// The request's cache key, when its key's or model's policy (or its `x-edge-cache-ttl`) makes it cacheable
    /// and it is deterministic or the policy caches non-deterministic requests too; nil otherwise.
    private func cacheKey(for checked: CheckedChat) -> (key: CacheKey, policy: CachePolicy)? {
        guard let key, let options = cacheOptions,
            let policy = options.effective(key.cache ?? pipeline.configuration.cache.models[checked.model.name])
        else { return nil }
        let canonical = body.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { bytes in
                CacheKey.make(
                    tenant: key.id, dialect: endpoint.dialect, model: checked.request.model,
                    passedOn: checked.request.passedOn, body: bytes, responses: endpoint == .responses)
            }
        }
        guard let canonical, canonical.isDeterministic || policy.nondeterministic else { return nil }
        return (canonical.key, policy)
    }

    /// Looks the request up: a hit is answered now, an identical answer under way is followed (both return
    /// true); on a miss this request fetches the answer (and leads, when it is to be stored).
    private func consultCache(_ checked: CheckedChat, _ canonical: (key: CacheKey, policy: CachePolicy)) -> Bool {
        let options = cacheOptions
        replayPacing = checked.request.stream ? canonical.policy.replayPacing : .zero
        let lookup = pipeline.cache.lookup(
            canonical.key, policy: canonical.policy, bypass: options?.bypassLookup ?? false, noStore: options?.noStore ?? false)
        switch lookup {
        case .hit(let answer):
            cacheStatus = "hit"
            replay(answer)
            return true
        case .follow(let fill):
            return follow(fill)
        case .lead(let fill):
            cacheStatus = "miss"
            trail.cacheStatus = "miss"
            cacheFill = fill
            cachePolicy = canonical.policy
            if let redis = pipeline.cache.redis, !(options?.bypassLookup ?? false) {
                phase = .lookingUp
                let bound = NIOLoopBound(self, eventLoop: eventLoop)
                redis.get(canonical.key).hop(to: eventLoop).whenComplete { result in
                    let found: CachedAnswer?? = try? result.get()
                    bound.value.sharedTierAnswered(found ?? nil)
                }
                return true
            }
            pipeline.cache.metrics.miss()
            return false
        case .miss:
            cacheStatus = "miss"
            trail.cacheStatus = "miss"
            pipeline.cache.metrics.miss()
            return false
        }
    }

    /// The shared tier answered the lookup: its answer is kept in the memory tier, given to the requests that
    /// follow this one, and replayed; without one, the providers are asked.
    private func sharedTierAnswered(_ found: CachedAnswer?) {
        guard case .lookingUp = phase else { return }  // the client left meanwhile
        guard let found, let fill = cacheFill, let policy = cachePolicy else {
            pipeline.cache.metrics.miss()
            planAndStart()
            return
        }
        cacheFill = nil
        pipeline.cache.metrics.hit()
        let age = Duration.milliseconds(max(0, UnixTime.nowMs() - found.storedAtMs))
        pipeline.cache.store(found, for: fill, ttl: max(.milliseconds(1), policy.ttl - age), share: false)
        fill.start(found.providerDialect, provider: found.provider, upstreamModel: found.upstreamModel)
        for frame in found.frames { fill.append(frame) }
        fill.complete()
        cacheStatus = "hit"
        replay(found)
    }

    /// The headers of an answer from the cache (or followed): the client's place, the request id, which provider
    /// gave the answer, and `x-edge-cache`.
    private func cachedHeaders(provider: String, upstreamModel: String, age: Int64?) -> HTTPFields {
        var headers = placement?.headers ?? [:]
        headers[.edgeRequestID] = requestID
        headers[.edgeProvider] = provider
        headers[.edgeUpstreamModel] = upstreamModel
        headers[.edgeResumable] = buffer == nil ? "false" : "true"
        if let cacheStatus { headers[.edgeCache] = cacheStatus }
        if let age { headers[.age] = String(age) }
        return headers
    }

    /// Answers from a stored answer: its frames go through the writer as a live answer's would, all at once (one
    /// write), or one by one ``replayPacing`` apart for a streamed hit whose policy paces replays.
    private func replay(_ cached: CachedAnswer) {
        phase = .over
        checked = nil
        body = ByteBuffer()
        trail.cacheStatus = "hit"
        trail.costSavedUSD = cached.costUSD
        let headers = cachedHeaders(
            provider: cached.provider, upstreamModel: cached.upstreamModel, age: ResponseCache.age(of: cached))
        writer.start(providerDialect: cached.providerDialect, headers: headers)
        if replayPacing > .zero, cached.frames.count > 1 {
            phase = .replaying
            replayFrame(of: cached, at: 0, headers: headers)
            return
        }
        for frame in cached.frames {
            trail.observe(frame)
            guard writer.append(frame) else {
                answer(EdgeRouterError(.responseTooLarge, "The cached answer is larger than this router's max_response_bytes."))
                return
            }
        }
        replayed(cached, headers: headers)
    }

    /// Writes one event of a paced replay, and schedules the next one ``replayPacing`` later (the last one ends the
    /// answer). A client that leaves meanwhile cancels the timer (``stopUpstream()``).
    private func replayFrame(of cached: CachedAnswer, at index: Int, headers: HTTPFields) {
        replayTimer = nil
        guard case .replaying = phase, index < cached.frames.count else { return }
        let frame = cached.frames[index]
        trail.observe(frame)
        _ = writer.append(frame)  // streamed: never refused for its size
        guard index + 1 < cached.frames.count else {
            phase = .over
            replayed(cached, headers: headers)
            return
        }
        writer.flush()
        // Bound to this event loop, where the timer fires: the responder is only ever touched there.
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        replayTimer = eventLoop.scheduleTask(in: TimeAmount(replayPacing)) {
            bound.value.replayFrame(of: cached, at: index + 1, headers: headers)
        }
    }

    /// A hit was written whole: the answer ends, is kept when the Responses API asked to store it (under the new
    /// response id this answer got), and goes on record.
    private func replayed(_ cached: CachedAnswer, headers: HTTPFields) {
        writer.complete(headers: headers, fallbackModel: cached.upstreamModel) { [self] answer in storeResponse(answer) }
        pipeline.metrics.recordRequest(.ok, deployment: nil, duration: ContinuousClock.now - received)
        account(status: 200, errorType: nil)
    }

    /// Follows an identical request's answer under way; false when it can no longer be followed (then this
    /// request fetches its own).
    private func follow(_ fill: CacheFill) -> Bool {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        guard let catchup = fill.subscribe(on: eventLoop, { event in bound.value.followed(event) }) else { return false }
        cacheStatus = "coalesced"
        trail.cacheStatus = "coalesced"
        followed = fill
        phase = .following
        for event in catchup.events { followed(event) }
        if case .relaying = phase { writer.flush() }
        return true
    }

    /// One event of the followed answer, on this request's event loop.
    private func followed(_ event: CacheFill.Event) {
        switch event {
        case .started(let dialect, let provider, let upstreamModel):
            guard case .following = phase else { return }
            phase = .relaying
            cacheHeaders = cachedHeaders(provider: provider, upstreamModel: upstreamModel, age: nil)
            writer.start(providerDialect: dialect, headers: cacheHeaders)
        case .frame(let frame):
            guard case .relaying = phase else { return }
            trail.observe(frame)
            guard writer.append(frame) else {
                phase = .over
                answer(EdgeRouterError(.responseTooLarge, "The answer grew past this router's max_response_bytes."))
                return
            }
            writer.flush()
        case .completed:
            guard case .relaying = phase else { return }
            phase = .over
            followed = nil
            writer.complete(headers: cacheHeaders, fallbackModel: cacheHeaders[.edgeUpstreamModel] ?? "") { [self] answer in
                storeResponse(answer)
            }
            checked = nil
            body = ByteBuffer()
            pipeline.metrics.recordRequest(.ok, deployment: nil, duration: ContinuousClock.now - received)
            account(status: 200, errorType: nil)
        case .abandoned:
            followed = nil
            switch phase {
            case .following:
                // Nothing was written: this request asks the providers itself.
                trail.cacheStatus = "miss"
                cacheStatus = "miss"
                pipeline.cache.metrics.miss()
                planAndStart()
            case .relaying:
                phase = .over
                writer.fail(
                    EdgeRouterError(.streamInterrupted, "The provider's stream broke off before the answer was complete."))
                account(status: 200, errorType: ErrorResponse.openAICode(of: .streamInterrupted))
            default:
                break
            }
        }
    }

    /// The led answer is complete: stored (when it fits its bound), then its followers told.
    private func storeFill(_ start: ExchangeStart) {
        guard let fill = cacheFill, let policy = cachePolicy else { return }
        cacheFill = nil
        if let frames = fill.keptFrames {
            var usage = UsageTally()
            for frame in frames { usage.observe(frame) }
            let tokens = usage.tokens(promptBytes: trail.promptBytes).tokens
            let answer = CachedAnswer(
                providerDialect: start.deployment.provider.dialect, provider: start.deployment.provider.id,
                upstreamModel: start.deployment.upstreamModel, frames: frames, storedAtMs: UnixTime.nowMs(),
                costUSD: start.deployment.price.cost(of: tokens))
            pipeline.cache.store(answer, for: fill, ttl: policy.ttl)
        } else {
            pipeline.cache.release(fill)
        }
        fill.complete()
    }

    /// The led answer will not be complete: its followers are told, and nothing is stored.
    private func abandonFill() {
        guard let fill = cacheFill else { return }
        cacheFill = nil
        pipeline.cache.release(fill)
        fill.abandon()
    }

    /// Records the request's outcome, once.
    private func finish(_ outcome: RouterMetrics.Outcome, start: ExchangeStart?) {
        guard inFlight else { return }
        inFlight = false
        pipeline.metrics.requestEnded()
        pipeline.metrics.recordRequest(outcome, deployment: start?.deployment, duration: ContinuousClock.now - received)
    }
}
