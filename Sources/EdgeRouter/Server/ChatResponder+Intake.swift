import NIOCore

/// A chat request's intake: checked, admitted (limits, residency), planned, and its exchange started; a
/// Responses API request's stored conversation recalled first.
extension ChatResponder {
    func begin() {
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
    func unknownPreviousResponse(_ error: any Error) -> String? {
        guard pipeline.responses.recallsFromLog, key != nil, let error = error as? EdgeRouterError, error.code == .notFound,
            error.param == "previous_response_id"
        else { return nil }
        return (try? InboundChat(endpoint: endpoint, body: body.readableBytesView, headers: head.headerFields))?.responses?.previousResponseID
    }

    /// Reads the stored response `previous` from the request log (off the event loop), then admits the request
    /// again: the checks before the intake's have passed already (the key's limits are not counted twice).
    func recall(_ previous: String, placement: ClientPlacement) {
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
    func proceed(_ checked: CheckedChat) {
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
    func admit(_ intake: ChatIntake, placement: ClientPlacement) throws(EdgeRouterError) -> CheckedChat {
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
}
