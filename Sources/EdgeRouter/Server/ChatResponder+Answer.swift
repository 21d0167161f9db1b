import EdgeWire
import HTTPTypes

/// The answer's part of a chat request: the exchange's steps written by the ``ChatResponseWriter``, errors in the
/// client's dialect, and the request's record and metrics.
extension ChatResponder {
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
    func use(requestID id: String) {
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

    func decorated(_ error: any Error) -> EdgeRouterError {
        EdgeRouterError.decorated(error, headers: placement?.headers ?? [:])
    }

    /// A non-streaming answer grew past `max_response_bytes`: holding more of it would let one request take the
    /// node's memory. The upstream call is cancelled and the client told why; the provider is not blamed (it
    /// answered what it was asked), so nothing goes to its breaker.
    func refuseOversizedAnswer(_ exchange: ChatExchange, start: ExchangeStart) {
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

    func responseHeaders(_ start: ExchangeStart) -> HTTPFields {
        var headers = placedHeaders(room: 12)
        headers.append(HTTPField(name: .edgeRequestID, value: requestID))
        headers.append(HTTPField(name: .edgeProvider, value: start.deployment.provider.id))
        headers.append(HTTPField(name: .edgeUpstreamModel, value: start.deployment.upstreamModel))
        headers.append(HTTPField(name: .edgeAttempts, value: String(start.attempts)))
        headers.append(HTTPField(name: .edgeRouteReason, value: start.reasonText))
        headers.append(HTTPField(name: .edgeResumable, value: buffer == nil ? "false" : "true"))
        headers.append(HTTPField(name: .edgeTTFT, value: String(Int(start.timeToFirstToken.milliseconds.rounded()))))
        if let cacheStatus { headers.append(HTTPField(name: .edgeCache, value: cacheStatus)) }
        let estimate = start.candidate.estimate
        if estimate.hasData {
            headers.append(HTTPField(name: .edgeTTFTEstimate, value: String(Int((Double(estimate.meanNanos) / 1e6).rounded()))))
            headers.append(HTTPField(name: .edgeEstimateAge, value: String((estimate.newestSampleAgeNanos ?? 0) / 1_000_000)))
        }
        return headers
    }

    /// The client's place's headers (its location, the key's limits), with room for `more` fields. The router's
    /// own fields are appended to them, never set: their names are never among the place's, and appending into
    /// room made once spares a search of the fields and a reallocation per field.
    func placedHeaders(room more: Int) -> HTTPFields {
        var headers = placement?.headers ?? [:]
        headers.reserveCapacity(headers.count + more)
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
