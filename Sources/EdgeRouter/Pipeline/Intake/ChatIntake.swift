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

    /// The gateway key the request presents.
    func authenticate(_ headers: HTTPFields) throws(EdgeRouterError) -> GatewayKey {
        try AuthMiddleware.authenticate(headers, keys: configuration.keys)
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

    /// Parses and checks the body, reads the client's deadline, finds the model and plans the route.
    ///
    /// The deadline is read before the plan, which counts a routing decision: a request refused for its
    /// headers is not one.
    func admit(
        body: some Collection<UInt8>, headers: HTTPFields, key: GatewayKey?, placement: ClientPlacement,
        received: ContinuousClock.Instant
    ) throws(EdgeRouterError) -> AdmittedChat {
        let request: OpenAIChatRequest
        do {
            request = try OpenAIChatRequest.parse(body)
        } catch {
            throw EdgeRouterError(.invalidRequest, error.message, param: error.param)
        }
        let timeout = try ClientDeadline.timeout(header: headers[.edgeTimeout], configured: configuration.server.requestTimeout)
        let (model, plan) = try route(request.model, headers: headers, key: key, rule: placement.place.rule)
        return AdmittedChat(request: request, model: model, plan: plan, deadline: received + timeout)
    }

    /// Finds the model (and a pinned provider) and the plan for it, checking the key's permissions. The residency
    /// rule filters candidates inside the decision: a request never falls back to a forbidden region.
    private func route(
        _ requested: String, headers: HTTPFields, key: GatewayKey?, rule: ResidencyRule?
    ) throws(EdgeRouterError) -> (Model, RoutePlan) {
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
        let plan = engine.plan(
            RouteRequest(model: model, pinnedProvider: pinned, control: control, residency: rule), now: MonotonicTime.now())
        return (model, plan)
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

/// A request that passed every check, with its plan.
struct AdmittedChat: Sendable {
    var request: OpenAIChatRequest
    var model: Model
    var plan: RoutePlan
    /// Until when a first token may come, across attempts (the configured timeout or `x-edge-timeout-ms`).
    var deadline: ContinuousClock.Instant
}
