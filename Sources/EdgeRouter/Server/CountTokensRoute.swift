import AsyncHTTPClient
import EdgeWire
import Hummingbird
import NIOCore
import NIOHTTP1
import RoutingCore

/// `POST /v1/messages/count_tokens`: Anthropic's token count, passed to an Anthropic-dialect deployment of the
/// model (the best one the routing engine ranks), the body as the client wrote it but for the deployment's model.
/// Only Anthropic counts tokens in its own way, so a model with no Anthropic deployment is refused with a 400
/// that says so. A provider's refusal comes back with its status and a sanitized message in Anthropic's shape.
struct CountTokensRoute: Sendable {
    /// The server's current state; each request is served with the one current when it arrives.
    let live: LiveState
    let engine: RoutingEngine

    func handle(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let state = live.load()
        let configuration = state.configuration
        let clients = state.clients
        let bytes = try await request.body.collect(upTo: configuration.server.maxBodyBytes)
        var chosen: Deployment?
        let spliced: (clientModel: String, body: ByteBuffer)
        do {
            spliced = try ModelSplice.replacingModel(in: Array(bytes.readableBytesView)) { name throws(WireError) in
                let deployment = try deployment(for: name, in: state, context: context)
                chosen = deployment
                return deployment.upstreamModel
            }
        } catch {
            throw EdgeRouterError(.invalidRequest, error.message, param: error.param)
        }
        guard let deployment = chosen, let client = clients.client(for: deployment.provider) else {
            throw EdgeRouterError(.internalError, "No client for the chosen provider.")
        }
        var upstream = HTTPClientRequest(url: ProviderEndpoint.url(deployment.provider, "/v1/messages/count_tokens"))
        upstream.method = .POST
        let passedOn = [request.headers[.anthropicVersion].map { ("anthropic-version", $0) }, request.headers[.anthropicBeta].map { ("anthropic-beta", $0) }]
        for header in ProviderEndpoint.headers(for: deployment.provider, passedOn: passedOn.compactMap { $0 }) where header.name != "accept" {
            upstream.headers.add(name: header.name, value: header.value)
        }
        upstream.body = .bytes(spliced.body)
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(upstream, timeout: .nanoseconds(deployment.provider.timeouts.firstToken.nanoseconds))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw EdgeRouterError(
                .allAttemptsFailed, "\(deployment.label) could not count the tokens: \(UpstreamErrorText.describe(error)).")
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let message = UpstreamErrorText.message(in: body).map { clients.errorText.sanitize($0) } ?? "HTTP \(status)"
            throw EdgeRouterError(.upstreamRejected, "\(deployment.label) refused to count the tokens: \(message)", status: status)
        }
        var headers: HTTPFields = [.contentType: "application/json", .edgeRequestID: context.requestID]
        headers[.edgeProvider] = deployment.provider.id
        headers[.edgeUpstreamModel] = deployment.upstreamModel
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// The Anthropic-dialect deployment of the model named `name` that routing ranks best.
    private func deployment(for name: String, in state: ServingState, context: EdgeRequestContext) throws(WireError) -> Deployment {
        guard let model = state.configuration.model(named: name), context.gatewayKey?.allows(model: model.name) ?? false else {
            throw WireError("The model '\(EchoedInput.quoted(name))' does not exist.", param: "model")
        }
        let plan = engine.plan(RouteRequest(model: model), in: state.routing, now: MonotonicTime.now())
        let ranked = plan.candidates.map(\.deployment) + model.deployments
        guard let deployment = ranked.first(where: { $0.provider.dialect == .anthropic }) else {
            throw WireError(
                "The model '\(model.name)' has no Anthropic-dialect deployment: only Anthropic counts tokens this way.", param: "model")
        }
        return deployment
    }
}
