import EdgeJSON
import EdgeWire
import HTTPTypes
import Logging
import NIOCore
import RoutingCore

/// `POST /v1/chat/completions`: what every chat request shares (configuration, clients, the routing brain,
/// metrics) and the checks made before any upstream work. Each request is answered by a ``ChatResponder`` on its
/// connection's event loop, fed by that connection's ``ChatCompletionsHandler``.
struct ChatCompletionsRoute: Sendable {
    static let path = "/v1/chat/completions"

    let catalog: Catalog
    let clients: UpstreamClients
    let engine: RoutingEngine
    let metrics: RouterMetrics
    let locator: ClientLocator
    let logger: Logger

    /// Whether a request head is for this route (any query string aside). Empty path segments (a trailing slash,
    /// doubled slashes) are ignored, as Hummingbird's router ignores them for every other route.
    static func matches(_ head: HTTPRequest) -> Bool {
        guard head.method == .post, let path = head.path else { return false }
        let target = path.utf8.firstIndex(of: UInt8(ascii: "?")).map { path[..<$0] } ?? path[...]
        if target == Self.path { return true }
        return target.split(separator: "/", omittingEmptySubsequences: true).elementsEqual(Self.segments)
    }

    private static let segments: [Substring] = ["v1", "chat", "completions"]

    /// Finds the model (and a pinned provider) and the plan for it, checking the key's permissions. The residency
    /// rule filters candidates inside the decision: a request never falls back to a forbidden region.
    func route(
        _ requested: String, headers: HTTPFields, key: GatewayKey?, rule: ResidencyRule?
    ) throws(EdgeRouterError) -> (Model, RoutePlan) {
        var pinned: String?
        var name = Substring(requested)
        if catalog.model(named: requested) == nil, let slash = requested.firstIndex(of: "/") {
            pinned = String(requested[..<slash])
            name = requested[requested.index(after: slash)...]
        }
        guard let model = catalog.model(named: name) else {
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
                try control.checkProviders(of: model) { catalog.provider(id: $0) != nil }
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

    /// The request's deadline until its first token: the configuration's, or a shorter `x-edge-timeout-ms`; a bad
    /// header value is the client's error (see ``ClientDeadline``).
    func timeout(_ headers: HTTPFields) throws(EdgeRouterError) -> Duration {
        try ClientDeadline.timeout(header: headers[.edgeTimeout], configured: catalog.server.requestTimeout)
    }
}
