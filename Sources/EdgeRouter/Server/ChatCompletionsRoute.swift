import Hummingbird
import Logging
import NIOCore

/// `POST /v1/chat/completions`: OpenAI's chat completions, streaming and not, over the failover pipeline.
struct ChatCompletionsRoute: Sendable {
    let catalog: Catalog
    let clients: UpstreamClients
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let disconnects: DisconnectMonitor
    let locator: ClientLocator

    func handle(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let received = ContinuousClock.now
        let limit = catalog.server.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            metrics.recordRequest(.rejected, deployment: nil, duration: .zero)
            throw EdgeRouterError(.payloadTooLarge, "The request body is \(length) bytes; the limit is \(limit).")
        }
        let place = locator.place(of: request.headers, channel: context.channel, key: context.gatewayKey)
        let geoLabels = GeoLocationLabels(continent: place.location?.continentCode, country: place.location?.countryISOCode)
        metrics.clientGeo.recordRequest(geoLabels)
        var placeHeaders = HTTPFields()
        if let value = place.headerValue { placeHeaders[.edgeClientGeo] = value }
        if let rule = place.rule { placeHeaders[.edgeResidency] = rule.name }
        if let nearer = locator.nearerNode(for: place.location) { placeHeaders[.edgeNearestNode] = nearer.node.url }

        let chat: OpenAIChatRequest
        let model: Model
        let plan: RoutePlan
        do {
            let bytes = try await request.body.collect(upTo: limit)
            chat = try OpenAIChatRequest.parse(bytes.readableBytesView)
            (model, plan) = try route(chat.model, headers: request.headers, key: context.gatewayKey, rule: place.rule)
        } catch {
            metrics.recordRequest(.rejected, deployment: nil, duration: .zero)
            throw EdgeRouterError.decorated(error, headers: placeHeaders)
        }

        // Setting metadata on a logger re-renders the handler's metadata string; the request's own metadata is only
        // built when something is logged.
        let logContext = ExchangeLogContext(requestID: context.requestID, model: model.name, residencyRule: place.rule?.name)
        let handle = ExchangeHandle()
        let exchange = ChatExchange(
            request: chat, plan: plan, clients: clients, engine: engine, metrics: metrics,
            maxAttempts: catalog.server.maxAttempts, deadline: received + timeout(request.headers),
            eventLoop: context.channel.eventLoop, handle: handle, logger: context.logger, logContext: logContext)
        let registration = disconnects.watch(context.channel) { handle.stop(.clientGone) }
        metrics.requestStarted()

        let start: ExchangeStart
        switch await exchange.start() {
        case .started(let value):
            start = value
            metrics.clientGeo.recordFirstToken(geoLabels, ttft: value.timeToFirstToken)
        case .failed(var error):
            finish(.failed, start: nil, received: received, registration: registration)
            if let rule = place.rule {
                error.message += " (residency rule '\(rule.name)' allows only regions \(rule.allowedRegions.joined(separator: ", ")))"
            }
            throw EdgeRouterError.decorated(error, headers: placeHeaders)
        case .cancelled:
            finish(.cancelled, start: nil, received: received, registration: registration)
            throw CancellationError()
        }
        var headers = placeHeaders
        headers[.edgeRequestID] = context.requestID
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
        if chat.stream {
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            let includeUsage = chat.includeUsage
            let requestID = context.requestID
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    var outcome = RouterMetrics.Outcome.cancelled
                    defer {
                        start.call.cancel()
                        finish(outcome, start: start, received: received, registration: registration)
                    }
                    var buffer = ByteBuffer()
                    do {
                        streaming: while true {
                            buffer.clear()
                            switch await exchange.next(start) {
                            case .frame(let frame):
                                Self.appendFrame(frame, includeUsage: includeUsage, to: &buffer)
                                if buffer.readableBytes > 0 { try await writer.write(buffer) }
                            case .completed:
                                outcome = .ok
                                buffer.writeString("data: [DONE]\n\n")
                                try await writer.write(buffer)
                                break streaming
                            case .failed(let error):
                                outcome = .interrupted
                                try await writer.write(ErrorResponse.sseFrame(error, requestID: requestID))
                                break streaming
                            case .cancelled:
                                throw CancellationError()
                            }
                        }
                        try await writer.finish(nil)
                    } catch {
                        // The client went away mid-stream (the deferred cancel stops the upstream request).
                        outcome = .cancelled
                        throw error
                    }
                })
        }

        defer { start.call.cancel() }
        var assembler = OpenAICompletionAssembler()
        var outcome = RouterMetrics.Outcome.cancelled
        var failure: EdgeRouterError?
        assembling: while true {
            switch await exchange.next(start) {
            case .frame(let frame): frame.events.forEach { assembler.consume($0) }
            case .completed:
                outcome = .ok
                break assembling
            case .failed(let error):
                outcome = .interrupted
                failure = error
                break assembling
            case .cancelled:
                break assembling
            }
        }
        finish(outcome, start: start, received: received, registration: registration)
        if let failure { throw failure }
        guard outcome == .ok else { throw CancellationError() }
        headers[.contentType] = "application/json"
        let body = assembler.completionJSON(fallbackModel: start.deployment.upstreamModel, fallbackID: "chatcmpl-\(context.requestID)")
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// Finds the model (and a pinned provider) and the plan for it, checking the key's permissions. The residency
    /// rule filters candidates inside the decision: a request never falls back to a forbidden region.
    private func route(
        _ requested: String, headers: HTTPFields, key: GatewayKey?, rule: ResidencyRule?
    ) throws(EdgeRouterError) -> (Model, RoutePlan) {
        var pinned: String?
        var name = Substring(requested)
        if catalog.model(named: requested) == nil, let slash = requested.firstIndex(of: "/") {
            pinned = String(requested[..<slash])
            name = requested[requested.index(after: slash)...]
        }
        guard let model = catalog.model(named: name) else {
            throw EdgeRouterError(.modelNotFound, "The model '\(requested)' does not exist.", param: "model")
        }
        guard key?.allows(model: model.name) ?? false else {
            throw EdgeRouterError(.modelNotAllowed, "This key may not use the model '\(model.name)'.", param: "model")
        }
        if let pinned, !model.deployments.contains(where: { $0.provider.id == pinned }) {
            throw EdgeRouterError(
                .modelNotFound, "The provider '\(pinned)' does not serve the model '\(model.name)'.", param: "model")
        }
        var control = RouteControl.none
        if let header = headers[.edgeRoute] {
            do {
                control = try RouteControl(header: header)
            } catch {
                throw EdgeRouterError(.invalidRequest, error.message, param: RouteControl.headerName)
            }
        }
        if let rule, !model.deployments.contains(where: { rule.allows(region: $0.provider.region) }) {
            throw EdgeRouterError(
                .residencyViolation,
                "Residency rule '\(rule.name)' allows only provider regions \(rule.allowedRegions.joined(separator: ", ")); no deployment of '\(model.name)' is there.")
        }
        let plan = engine.plan(
            RouteRequest(model: model, pinnedProvider: pinned, control: control, residency: rule), now: MonotonicTime.now())
        return (model, plan)
    }

    /// The request's deadline until its first token: the configuration's, or a shorter `x-edge-timeout-ms`.
    private func timeout(_ headers: HTTPFields) -> Duration {
        guard let value = headers[.edgeTimeout], let millis = Int(value), millis > 0 else { return catalog.server.requestTimeout }
        return min(.milliseconds(millis), catalog.server.requestTimeout)
    }

    private func finish(
        _ outcome: RouterMetrics.Outcome, start: ExchangeStart?, received: ContinuousClock.Instant,
        registration: DisconnectMonitor.Registration
    ) {
        registration.end()
        metrics.requestEnded()
        metrics.recordRequest(outcome, deployment: start?.deployment, duration: ContinuousClock.now - received)
    }

    /// Writes a frame as the provider sent it; the usage-only chunk only when the client asked for it.
    private static func appendFrame(_ frame: UpstreamFrame, includeUsage: Bool, to buffer: inout ByteBuffer) {
        if frame.isUsageOnly && !includeUsage { return }
        buffer.writeString("data: ")
        buffer.writeBytes(frame.payload)
        buffer.writeString("\n\n")
    }
}
