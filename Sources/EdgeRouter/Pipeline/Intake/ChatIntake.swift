import EdgeWire
import GeoIP
import HTTPTypes
import RoutingCore

/// The checks and decisions made for a chat request before any upstream work, in order: the gateway key (at the
/// head, so that a request without one is refused before its body is read), the client's place (geolocation and
/// residency rule), then the body, the deadline, the model and the routing plan.
///
/// Plain values in, plain values out: no NIO type and no I/O, so each check is testable without a server. The
/// connection's ``ChatResponder`` calls it; every refusal is an ``EdgeRouterError`` for the client.
struct ChatIntake: Sendable {
    let configuration: RouterConfiguration
    let engine: RoutingEngine
    let locator: ClientLocator
    /// Stored Responses API answers, for `previous_response_id`.
    var responses: ResponseStore?
    /// The routing snapshot published with `configuration`; nil plans on the engine's current one.
    var routing: RoutingSnapshot? = nil

    /// The gateway key the request presents (in its headers, or Gemini's `?key=` in `path`).
    func authenticate(_ headers: HTTPFields, path: String? = nil) throws(EdgeRouterError) -> GatewayKey {
        try AuthMiddleware.authenticate(headers, path: path, keys: configuration.keys)
    }

    /// Where the client is, the residency rule that applies to it, and the headers that tell it so.
    func locate(_ headers: HTTPFields, peer: IPAddress?, key: GatewayKey?) -> ClientPlacement {
        let place = locator.place(of: headers, peer: peer, key: key)
        var placeHeaders = HTTPFields()
        if let value = place.headerValue { placeHeaders[.edgeClientGeo] = value }
        if let rule = place.rule { placeHeaders[.edgeResidency] = rule.name }
        if let nearer = locator.nearerNode(for: place.location) { placeHeaders[.edgeNearestNode] = nearer.node.url }
        return ClientPlacement(
            place: place, headers: placeHeaders,
            labels: GeoLocationLabels(continent: place.location?.continentCode, country: place.location?.countryISOCode))
    }

    /// Parses and checks the body in `endpoint`'s dialect, reads the client's deadline, finds the model, plans the
    /// route and translates the request for the planned deployments of other dialects: ``check(endpoint:body:headers:key:placement:received:)``
    /// then ``plan(_:body:)``.
    ///
    /// The deadline is read before the plan, which counts a routing decision: a request refused for its
    /// headers is not one.
    func admit(
        endpoint: ChatEndpoint, body: some Collection<UInt8>, headers: HTTPFields, key: GatewayKey?,
        placement: ClientPlacement, received: ContinuousClock.Instant
    ) throws(EdgeRouterError) -> AdmittedChat {
        let checked = try check(endpoint: endpoint, body: body, headers: headers, key: key, placement: placement, received: received)
        return try plan(checked, body: body)
    }

    /// Every check of ``admit(endpoint:body:headers:key:placement:received:)`` that comes before the routing
    /// plan: the body, a `previous_response_id`, the deadline, the model and the key's right to it, `x-edge-route`,
    /// the residency rule. What the response cache's lookup needs: a hit is answered without a plan.
    func check(
        endpoint: ChatEndpoint, body: some Collection<UInt8>, headers: HTTPFields, key: GatewayKey?,
        placement: ClientPlacement, received: ContinuousClock.Instant
    ) throws(EdgeRouterError) -> CheckedChat {
        var request: InboundChat
        do {
            request = try InboundChat(endpoint: endpoint, body: body, headers: headers)
        } catch {
            throw EdgeRouterError(.invalidRequest, error.message, param: error.param)
        }
        if let previous = request.responses?.previousResponseID {
            request.neutral = try history(previous, for: request, key: key)
        }
        let timeout = try ClientDeadline.timeout(header: headers[.edgeTimeout], configured: configuration.server.requestTimeout)
        let (model, route) = try resolve(request.model, headers: headers, key: key, rule: placement.place.rule)
        return CheckedChat(request: request, model: model, route: route, deadline: received + timeout)
    }

    /// Plans the route of a checked request (a routing decision) and translates it for the planned deployments of
    /// other dialects; `body` is the request's body as ``check(endpoint:body:headers:key:placement:received:)`` read it.
    func plan(_ checked: CheckedChat, body: some Collection<UInt8>) throws(EdgeRouterError) -> AdmittedChat {
        var request = checked.request
        var plan = engine.plan(checked.route, in: routing ?? engine.snapshot, now: MonotonicTime.now())
        try translate(&request, body: body, model: checked.model, plan: &plan)
        return AdmittedChat(request: request, model: checked.model, plan: plan, deadline: checked.deadline)
    }

    /// Writes the request for each planned deployment of another dialect than the client's. A deployment whose
    /// dialect cannot carry the request (a field it has no place for) leaves the plan; when none is left the
    /// request is refused, naming the field.
    private func translate(
        _ request: inout InboundChat, body: some Collection<UInt8>, model: Model, plan: inout RoutePlan
    ) throws(EdgeRouterError) {
        let clientDialect = request.endpoint.passThroughDialect
        guard plan.candidates.contains(where: { $0.deployment.provider.dialect != clientDialect }) else { return }
        let neutral: ChatRequest
        do throws(WireError) {
            if let prepared = request.neutral {
                neutral = prepared
            } else {
                neutral = try InboundChat.neutral(request.endpoint, body: body)
            }
        } catch {
            throw EdgeRouterError(.invalidRequest, error.message, param: error.param)
        }
        var refusal: WireError?
        var kept = RouteCandidates()
        kept.reserveCapacity(plan.candidates.count)
        // A Responses request's stored conversation (its `previous_response_id`'s), for native deployments.
        let conversation = request.responses.map { Array(neutral.messages.prefix(max(0, neutral.messages.count - $0.chat.messages.count))) }
        for candidate in plan.candidates {
            let deployment = candidate.deployment
            guard deployment.provider.dialect != clientDialect else {
                kept.append(candidate)
                continue
            }
            do {
                if let conversation, deployment.provider.dialect == .openaiResponses {
                    // The Responses API's pass-through: the client's own body, spliced.
                    request.translated[deployment.key] = try ResponsesPassThrough.body(
                        client: body, model: deployment.upstreamModel, history: conversation)
                    kept.append(candidate)
                    continue
                }
                request.translated[deployment.key] = try TranslatedBody.make(
                    neutral, for: deployment, defaultMaxTokens: model.defaultMaxTokens)
                kept.append(candidate)
            } catch {
                // Nothing to give back: a half-open trial is only claimed when the exchange sends to it.
                refusal = refusal ?? error
            }
        }
        plan.candidates = kept
        if kept.isEmpty, let refusal {
            throw EdgeRouterError(.invalidRequest, refusal.message, param: refusal.param)
        }
    }

    /// The neutral request with the conversation of the stored response `previous` in front. A response this key
    /// did not make is not found, the same as an unknown one (a 404), so ids cannot be probed.
    private func history(_ previous: String, for request: InboundChat, key: GatewayKey?) throws(EdgeRouterError) -> ChatRequest? {
        guard let responses = request.responses else { return nil }
        guard let key, let stored = self.responses?.find(id: previous, keyID: key.id) else {
            throw EdgeRouterError(
                .notFound, "Previous response with id '\(EchoedInput.quoted(previous))' not found.", param: "previous_response_id")
        }
        return responses.prepending(history: stored.conversation)
    }

    /// Finds the model (and a pinned provider) and the plan for it, checking the key's permissions and that the
    /// model is of the endpoint's `kind` (chat endpoints refuse an embedding model, and the embeddings endpoints a
    /// chat model). The residency rule filters candidates inside the decision: a request never falls back to a
    /// forbidden region.
    func route(
        _ requested: String, headers: HTTPFields, key: GatewayKey?, rule: ResidencyRule?, kind: ModelKind = .chat
    ) throws(EdgeRouterError) -> (Model, RoutePlan) {
        let (model, request) = try resolve(requested, headers: headers, key: key, rule: rule, kind: kind)
        return (model, engine.plan(request, in: routing ?? engine.snapshot, now: MonotonicTime.now()))
    }

    /// The checks of ``route(_:headers:key:rule:kind:)`` without the plan: the model, the key's right to it,
    /// `x-edge-route` and the residency rule, and the decision's input.
    func resolve(
        _ requested: String, headers: HTTPFields, key: GatewayKey?, rule: ResidencyRule?, kind: ModelKind = .chat
    ) throws(EdgeRouterError) -> (Model, RouteRequest) {
        var pinned: String?
        var name = Substring(requested)
        if configuration.model(named: requested) == nil, let slash = requested.firstIndex(of: "/") {
            pinned = String(requested[..<slash])
            name = requested[requested.index(after: slash)...]
        }
        guard let model = configuration.model(named: name) else {
            throw EdgeRouterError(.modelNotFound, "The model '\(EchoedInput.quoted(requested))' does not exist.", param: "model")
        }
        guard key?.allows(model: model.name) ?? false else {
            throw EdgeRouterError(.modelNotAllowed, "This key may not use the model '\(model.name)'.", param: "model")
        }
        guard model.kind == kind else {
            let hint =
                model.kind == .embedding
                ? "is an embedding model: use the embeddings endpoint" : "is not an embedding model: use a chat endpoint"
            throw EdgeRouterError(.invalidRequest, "The model '\(model.name)' \(hint).", param: "model")
        }
        if let pinned, !model.deployments.contains(where: { $0.provider.id == pinned }) {
            throw EdgeRouterError(
                .modelNotFound, "The provider '\(EchoedInput.quoted(pinned))' does not serve the model '\(model.name)'.",
                param: "model")
        }
        var control = RouteControl.none
        if let header = headers[.edgeRoute] {
            do {
                control = try RouteControl(header: header)
                try control.checkProviders(of: model) { configuration.provider(id: $0) != nil }
            } catch {
                throw EdgeRouterError(.invalidRequest, error.message, param: RouteControl.headerName)
            }
        }
        if let rule, !model.deployments.contains(where: { rule.allows(region: $0.provider.region) }) {
            throw EdgeRouterError(
                .residencyViolation,
                "Residency rule '\(rule.name)' allows only provider regions \(rule.allowedRegions.joined(separator: ", ")); no deployment of '\(model.name)' is there.")
        }
        return (model, RouteRequest(model: model, pinnedProvider: pinned, control: control, residency: rule))
    }
}

/// Where a client is, as far as this request is concerned.
struct ClientPlacement: Sendable {
    var place: ClientPlace
    /// `x-edge-client-geo`, `x-edge-residency` and `x-edge-nearest-node`, for every answer (errors included).
    var headers: HTTPFields
    /// The client's continent and country as metric labels.
    var labels: GeoLocationLabels
}

/// A request that passed every check before its plan (``ChatIntake/check(endpoint:body:headers:key:placement:received:)``).
struct CheckedChat: Sendable {
    var request: InboundChat
    var model: Model
    /// The routing decision's input, for the plan.
    var route: RouteRequest
    /// Until when a first token may come, across attempts.
    var deadline: ContinuousClock.Instant
}

/// A request that passed every check, with its plan.
struct AdmittedChat: Sendable {
    var request: InboundChat
    var model: Model
    var plan: RoutePlan
    /// Until when a first token may come, across attempts (the configured timeout or `x-edge-timeout-ms`).
    var deadline: ContinuousClock.Instant
}
