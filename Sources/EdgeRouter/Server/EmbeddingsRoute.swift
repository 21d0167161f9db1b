import EdgeWire
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RoutingCore

/// `POST /v1/embeddings` (OpenAI) and `POST /v1beta/models/{model}:embedContent` / `:batchEmbedContents` (Gemini):
/// embeddings routed like chat (key, limits, residency, `x-edge-route`, breakers, failover) but ranked by total
/// latency, answered in the client's dialect from a provider of either dialect, and put on record like every
/// request, refusals included (so the gateway key is checked here rather than by ``AuthMiddleware``).
struct EmbeddingsRoute: Sendable {
    /// The server's current state; each request is served with the one current when it arrives.
    let live: LiveState
    private var state: ServingState
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let accounting: Accounting
    let logger: Logger

    init(live: LiveState, engine: RoutingEngine, metrics: RouterMetrics, accounting: Accounting, logger: Logger) {
        self.live = live
        self.state = live.load()
        self.engine = engine
        self.metrics = metrics
        self.accounting = accounting
        self.logger = logger
    }

    private var configuration: RouterConfiguration { state.configuration }
    private var clients: UpstreamClients { state.clients }
    private var intake: ChatIntake {
        ChatIntake(configuration: configuration, engine: engine, locator: state.locator, routing: state.routing)
    }

    /// This route on the state served now, for one request.
    private func current() -> EmbeddingsRoute {
        var route = self
        route.state = live.load()
        return route
    }

    /// `POST /v1/embeddings`.
    func openAI(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        await current().serve(.openAI, request, context: context)
    }

    /// `POST /v1beta/models/{model}:{method}`: the embedding methods; any other is an unknown endpoint (chat's methods never get
    /// here: the connection answers them ahead of the router).
    func gemini(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        guard let endpoint = EmbeddingEndpoint(geminiPath: request.uri.path[...]) else {
            throw EdgeRouterError(.notFound, "No such endpoint.")
        }
        return await current().serve(endpoint, request, context: context)
    }

    private func serve(_ endpoint: EmbeddingEndpoint, _ request: Request, context: EdgeRequestContext) async -> Response {
        let received = ContinuousClock.now
        var trail = EmbeddingTrail(requestID: context.requestID, dialect: endpoint.dialect, path: request.uri.path, received: received)
        var headers: HTTPFields = [:]
        var started = false
        let response: Response
        do {
            response = try await answer(endpoint, request, context: context, trail: &trail, headers: &headers, started: &started)
        } catch {
            let shaped = EdgeRouterError.decorated(error, headers: headers)
            if shaped.code == .internalError { logger.error("embeddings request failed", metadata: ["error": "\(error)"]) }
            response = ErrorResponse.make(shaped, requestID: context.requestID, dialect: endpoint.dialect)
            let status = ErrorResponse.status(of: shaped, in: endpoint.dialect)
            if let body = trail.requestBodyBuffer { trail.keepBodies(request: body, response: nil) }
            if started {
                metrics.requestEnded()
                metrics.recordRequest(trail.clientLeft ? .cancelled : .failed, deployment: nil, duration: ContinuousClock.now - received)
            } else {
                metrics.recordRequest(.rejected, deployment: nil, duration: .zero)
            }
            let record =
                trail.clientLeft
                ? trail.record(status: 499, errorType: "cancelled")
                : trail.record(status: status, errorType: ErrorResponse.openAICode(of: shaped.code))
            accounting.account(record, key: trail.key, deployment: nil)
            return response
        }
        accounting.account(trail.record(status: 200, errorType: nil), key: trail.key, deployment: trail.deployment)
        return response
    }

    /// The checks in chat's order (key, place, metadata header, limits, body, deadline, model and plan), the
    /// translation for each planned deployment, the exchange, then the answer in the client's dialect.
    private func answer(
        _ endpoint: EmbeddingEndpoint, _ request: Request, context: EdgeRequestContext, trail: inout EmbeddingTrail,
        headers: inout HTTPFields, started: inout Bool
    ) async throws -> Response {
        let key = try intake.authenticate(request.headers, path: request.uri.description)
        trail.key = key
        let placement = intake.locate(request.headers, peer: ClientLocator.peerAddress(of: context.channel), key: key)
        headers = placement.headers
        metrics.clientGeo.recordRequest(placement.labels)
        trail.country = placement.place.location?.countryISOCode
        trail.asn = placement.place.location?.asn.map(Int.init)
        trail.metadata = RequestMetadata(defaults: key.metadata.map { RequestMetadata.Field(name: $0.name, json: $0.json) })
        let headerMetadata = try request.headers[.edgeMetadata].map { header throws(EdgeRouterError) in try RequestMetadata.parse(header: header) }
        headers.append(contentsOf: try accounting.admit(key))
        let body = try await request.body.collect(upTo: configuration.server.maxBodyBytes)
        trail.requestBodyBuffer = body
        let embedding: EmbeddingRequest
        do {
            embedding = try body.withUnsafeReadableBytes { raw throws(WireError) in try endpoint.read(raw.bindMemory(to: UInt8.self)) }
        } catch {
            throw EdgeRouterError(.invalidRequest, error.message, param: error.param)
        }
        trail.model = embedding.model
        body.withUnsafeReadableBytes { raw in trail.metadata.merge(body: raw.bindMemory(to: UInt8.self), dialect: endpoint.dialect) }
        if let headerMetadata { trail.metadata.merge(headerMetadata) }
        let timeout = try ClientDeadline.timeout(header: request.headers[.edgeTimeout], configured: configuration.server.requestTimeout)
        var (model, plan) = try intake.route(
            embedding.model, headers: request.headers, key: key, rule: placement.place.rule, kind: .embedding)
        let bodies = try Self.translate(embedding, plan: &plan)

        started = true
        metrics.requestStarted()
        let exchange = EmbeddingExchange(
            plan: plan, maxAttempts: configuration.server.maxAttempts, deadline: trail.received + timeout, engine: engine,
            metrics: metrics, clients: clients, maxResponseBytes: configuration.server.maxResponseBytes, logger: logger,
            logContext: ExchangeLogContext(requestID: context.requestID, model: model.name, residencyRule: placement.place.rule?.name))
        let outcome = await Self.untilConnectionCloses(context.channel) {
            await exchange.run(bodies: bodies, expected: embedding.inputs.count)
        }
        trail.attempts = outcome.attempts
        if !context.channel.isActive {
            // The client is gone: the exchange was cancelled (its provider call with it), and nobody reads an answer.
            trail.clientLeft = true
            throw EdgeRouterError(.deadlineExceeded, "The client closed the connection.")
        }
        trail.failures = outcome.failures
        guard let answer = outcome.answer else {
            throw outcome.error ?? EdgeRouterError(.internalError, "The exchange ended without an answer.")
        }
        let deployment = answer.candidate.deployment
        trail.deployment = deployment
        trail.reason = answer.reason
        trail.inputTokens = answer.result.promptTokens ?? embedding.estimatedTokens
        trail.usageEstimated = answer.result.promptTokens == nil
        metrics.requestEnded()
        metrics.recordRequest(.ok, deployment: deployment, duration: ContinuousClock.now - trail.received)
        let payload = endpoint.answer(answer.result, request: embedding, model: deployment.upstreamModel, promptTokens: trail.inputTokens)
        trail.keepBodies(request: body, response: payload)
        headers[.contentType] = "application/json"
        headers[.edgeRequestID] = context.requestID
        headers[.edgeProvider] = deployment.provider.id
        headers[.edgeUpstreamModel] = deployment.upstreamModel
        headers[.edgeAttempts] = String(outcome.attempts)
        headers[.edgeRouteReason] = answer.reason.rawValue
        headers[.edgeLatency] = String(Int(answer.latency.milliseconds.rounded()))
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: payload))
    }

    /// Runs `work`, cancelled when the client's connection closes: Hummingbird does not cancel a handler whose
    /// client left, and an embeddings call writes nothing until its answer, so without this the provider call would
    /// run to its end for nobody. (A half-close is not a close, as for chat: the answer is still written.)
    private static func untilConnectionCloses<T: Sendable>(
        _ channel: any Channel, _ work: @escaping @Sendable () async -> T
    ) async -> T {
        let task = Task(operation: work)
        channel.closeFuture.whenComplete { _ in task.cancel() }
        return await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
    }

    /// The body for each planned deployment, in its provider's dialect. A deployment whose dialect cannot carry the
    /// request (a field it has no place for) leaves the plan; when none is left the request is refused, naming the
    /// field.
    private static func translate(_ request: EmbeddingRequest, plan: inout RoutePlan) throws(EdgeRouterError) -> [String: ByteBuffer] {
        var bodies: [String: ByteBuffer] = [:]
        var refusal: WireError?
        var kept = RouteCandidates()
        for candidate in plan.candidates {
            do {
                bodies[candidate.deployment.key] = try ProviderEndpoint.embeddingBody(request, for: candidate.deployment)
                kept.append(candidate)
            } catch {
                refusal = refusal ?? error
            }
        }
        plan.candidates = kept
        if kept.isEmpty, let refusal { throw EdgeRouterError(.invalidRequest, refusal.message, param: refusal.param) }
        return bodies
    }
}

extension HTTPField.Name {
    /// An embeddings answer's total upstream latency, in milliseconds (what its deployment is ranked by).
    static let edgeLatency = Self("x-edge-latency-ms")!
}
