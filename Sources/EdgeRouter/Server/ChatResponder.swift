import EdgeJSON
import EdgeWire
import HTTPTypes
import NIOCore
import RoutingCore

/// Answers one chat request on its connection's event loop: checks it, runs its ``ChatExchange`` and writes the
/// response through the connection's ``ChatCompletionsHandler`` (the SSE stream frame by frame as the provider
/// sends it, or one assembled completion). Nothing in it waits: the handler feeds it the request, the exchange
/// feeds it the answer.
final class ChatResponder: ChatExchangeObserver {
    private enum Phase {
        /// Reading the body.
        case receiving
        /// Waiting for a first token.
        case starting
        /// Passing the stream on (the head is written for a streaming request).
        case answering(ExchangeStart)
        /// The response is complete, or the client left.
        case over
    }

    private let route: ChatCompletionsRoute
    private weak var connection: ChatCompletionsHandler?
    private let head: HTTPRequest
    private let peer: any Channel
    private let received = ContinuousClock.now
    private let requestID = EdgeRequestContext.makeRequestID()
    private var phase = Phase.receiving
    private var key: GatewayKey?
    private var body = ByteBuffer()
    private var exchange: ChatExchange?
    private var stream = false
    private var includeUsage = false
    private var placeHeaders = HTTPFields()
    private var geoLabels = GeoLocationLabels(continent: nil, country: nil)
    private var residencyRule: ResidencyRule?
    /// Frames waiting for the next flush (streaming).
    private var pending = ByteBuffer()
    private var assembler = OpenAICompletionAssembler()
    /// Counted in the router's in-flight requests (from the exchange's start to the outcome's record).
    private var inFlight = false

    init(route: ChatCompletionsRoute, head: HTTPRequest, connection: ChatCompletionsHandler, peer: any Channel) {
        self.route = route
        self.head = head
        self.connection = connection
        self.peer = peer
    }

    // MARK: The request, from the handler

    /// Checks the key the head presents: a request without a valid one is refused at once, and its connection
    /// closed after the answer so that its body is never read. An accepted request that expects `100 Continue` gets it now. (The
    /// body's size is the connection's ``ConnectionGate``'s to check.)
    func receiveHead() {
        do {
            key = try AuthMiddleware.authenticate(head.headerFields, keys: route.catalog.keys)
        } catch {
            // Answered before the body is read: the connection's gate closes the connection after the answer.
            answer(error)
            return
        }
        if head.headerFields[.expect]?.lowercased() == "100-continue" {
            connection?.write(.head(HTTPResponse(status: .continue)), flush: true)
        }
    }

    func receive(_ part: ByteBuffer) {
        guard case .receiving = phase else { return }
        var part = part
        body.writeBuffer(&part)
    }

    func receiveEnd() {
        switch phase {
        case .receiving:
            begin()
        case .starting, .answering, .over:
            break
        }
    }

    /// The client closed its side or the connection dropped: upstream work stops at once.
    func clientGone() {
        switch phase {
        case .starting:
            exchange?.stop()
            finish(.cancelled, start: nil)
        case .answering(let start):
            exchange?.stop()
            finish(.cancelled, start: start)
        case .receiving, .over:
            break
        }
        phase = .over
    }

    /// The connection can take writes again.
    func writable() {
        exchange?.resume()
    }

    // MARK: Checks, then the exchange

    private func begin() {
        let place = route.locator.place(of: head.headerFields, channel: peer, key: key)
        geoLabels = GeoLocationLabels(continent: place.location?.continentCode, country: place.location?.countryISOCode)
        route.metrics.clientGeo.recordRequest(geoLabels)
        if let value = place.headerValue { placeHeaders[.edgeClientGeo] = value }
        if let rule = place.rule { placeHeaders[.edgeResidency] = rule.name }
        if let nearer = route.locator.nearerNode(for: place.location) { placeHeaders[.edgeNearestNode] = nearer.node.url }
        residencyRule = place.rule

        let chat: OpenAIChatRequest
        let model: Model
        let plan: RoutePlan
        let timeout: Duration
        do {
            chat = try OpenAIChatRequest.parse(body.readableBytesView)
            // Before the plan, which counts a routing decision.
            timeout = try route.timeout(head.headerFields)
            (model, plan) = try route.route(chat.model, headers: head.headerFields, key: key, rule: place.rule)
        } catch {
            route.metrics.recordRequest(.rejected, deployment: nil, duration: .zero)
            answer(EdgeRouterError.decorated(error, headers: placeHeaders))
            return
        }
        body = ByteBuffer()
        stream = chat.stream
        includeUsage = chat.includeUsage
        guard let eventLoop = connection?.eventLoop else { return }
        let exchange = ChatExchange(
            request: chat, plan: plan, clients: route.clients, engine: route.engine, metrics: route.metrics,
            maxAttempts: route.catalog.server.maxAttempts, deadline: received + timeout,
            eventLoop: eventLoop, logger: route.logger,
            logContext: ExchangeLogContext(requestID: requestID, model: model.name, residencyRule: place.rule?.name))
        self.exchange = exchange
        phase = .starting
        inFlight = true
        route.metrics.requestStarted()
        exchange.start(observer: self)
    }

    // MARK: ChatExchangeObserver

    func exchange(_ exchange: ChatExchange, started: ExchangeStart) {
        guard case .starting = phase else { return }
        phase = .answering(started)
        route.metrics.clientGeo.recordFirstToken(geoLabels, ttft: started.timeToFirstToken)
        guard stream else { return }
        var headers = responseHeaders(started)
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        connection?.write(.head(HTTPResponse(status: .ok, headerFields: headers)))
    }

    func exchange(_ exchange: ChatExchange, failedToStart error: EdgeRouterError) {
        guard case .starting = phase else { return }
        finish(.failed, start: nil)
        var error = error
        if let rule = residencyRule {
            error.message += " (residency rule '\(rule.name)' allows only regions \(rule.allowedRegions.joined(separator: ", ")))"
        }
        answer(EdgeRouterError.decorated(error, headers: placeHeaders))
    }

    func exchange(_ exchange: ChatExchange, step: ExchangeStep) {
        guard case .answering(let start) = phase else { return }
        switch step {
        case .frame(let frame):
            if stream {
                guard !frame.isUsageOnly || includeUsage else { return }
                pending.writeStaticString("data: ")
                pending.writeBytes(frame.payload)
                pending.writeStaticString("\n\n")
            } else {
                for event in frame.events { assembler.consume(event) }
                if assembler.assembledBytes > route.catalog.server.maxResponseBytes {
                    refuseOversizedAnswer(exchange, start: start)
                }
            }
        case .completed:
            phase = .over
            finish(.ok, start: start)
            exchange.finish()
            if stream {
                pending.writeStaticString("data: [DONE]\n\n")
                endStream()
            } else {
                var headers = responseHeaders(start)
                headers[.contentType] = "application/json"
                let body = assembler.completionJSON(
                    fallbackModel: start.deployment.upstreamModel, fallbackID: "chatcmpl-\(requestID)")
                headers[.contentLength] = String(body.readableBytes)
                connection?.write(.head(HTTPResponse(status: .ok, headerFields: headers)))
                connection?.write(.body(body))
                connection?.endResponse(closing: wantsClose)
            }
        case .clientStalled:
            phase = .over
            finish(.clientStalled, start: start)
            exchange.finish()
            pending = ByteBuffer()
            connection?.abort()
        case .failed(let error):
            phase = .over
            finish(.interrupted, start: start)
            exchange.finish()
            if stream {
                pending.writeImmutableBuffer(ErrorResponse.sseFrame(error, requestID: requestID))
                endStream()
            } else {
                answer(EdgeRouterError.decorated(error, headers: placeHeaders))
            }
        }
    }

    func exchangeShouldFlush(_ exchange: ChatExchange) {
        guard pending.readableBytes > 0 else { return }
        connection?.write(.body(pending), flush: true)
        pending.clear()
    }

    var isBackedUp: Bool { !(connection?.isWritable ?? true) }

    // MARK: Writing

    private var wantsClose: Bool { head.headerFields[.connection]?.lowercased() == "close" }

    private func endStream() {
        if pending.readableBytes > 0 { connection?.write(.body(pending)) }
        pending = ByteBuffer()
        connection?.endResponse(closing: wantsClose)
    }

    /// Answers with an error (before anything of a response was written).
    private func answer(_ error: EdgeRouterError) {
        phase = .over
        let (head, body) = ErrorResponse.parts(error, requestID: requestID)
        connection?.write(.head(head))
        connection?.write(.body(body))
        connection?.endResponse(closing: wantsClose)
    }

    /// A non-streaming answer grew past `max_response_bytes`: holding more of it would let one request take the
    /// node's memory. The upstream call is cancelled and the client told why; the provider is not blamed (it
    /// answered what it was asked), so nothing goes to its breaker.
    private func refuseOversizedAnswer(_ exchange: ChatExchange, start: ExchangeStart) {
        exchange.stop()
        assembler = OpenAICompletionAssembler()
        route.metrics.responseLimit.record(deployment: start.deployment)
        finish(.interrupted, start: start)
        let limit = route.catalog.server.maxResponseBytes
        let error = EdgeRouterError(
            .responseTooLarge,
            "The answer grew past this router's limit of \(limit) bytes for a non-streaming response; "
                + "ask for a stream (\"stream\": true) or fewer tokens (\"max_tokens\").")
        answer(EdgeRouterError.decorated(error, headers: placeHeaders))
    }

    private func responseHeaders(_ start: ExchangeStart) -> HTTPFields {
        var headers = placeHeaders
        headers[.edgeRequestID] = requestID
        headers[.edgeProvider] = start.deployment.provider.id
        headers[.edgeUpstreamModel] = start.deployment.upstreamModel
        headers[.edgeAttempts] = String(start.attempts)
        headers[.edgeRouteReason] = start.reason.rawValue
        headers[.edgeTTFT] = String(Int(start.timeToFirstToken.milliseconds.rounded()))
        let estimate = start.candidate.estimate
        if estimate.hasData {
            headers[.edgeTTFTEstimate] = String(Int((Double(estimate.meanNanos) / 1e6).rounded()))
            headers[.edgeEstimateAge] = String((estimate.newestSampleAgeNanos ?? 0) / 1_000_000)
        }
        return headers
    }

    /// Records the request's outcome, once.
    private func finish(_ outcome: RouterMetrics.Outcome, start: ExchangeStart?) {
        guard inFlight else { return }
        inFlight = false
        route.metrics.requestEnded()
        route.metrics.recordRequest(outcome, deployment: start?.deployment, duration: ContinuousClock.now - received)
    }
}
