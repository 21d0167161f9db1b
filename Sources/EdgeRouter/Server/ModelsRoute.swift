import EdgeJSON
import EdgeWire
import Hummingbird
import NIOCore
import RoutingCore

/// `GET /v1/models`: the configuration in OpenAI's list format, limited to what the caller's key may use; each entry
/// also lists its providers and aliases.
///
/// Written field by field in OpenAI's order (`object`, `data`; `id`, `object`, `created`, `owned_by`) rather than
/// through a dictionary, whose key order changes from one call to the next: the same configuration gives the same bytes,
/// so clients and caches can compare answers.
struct ModelsRoute: Sendable {
    let configuration: RouterConfiguration

    func handle(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visible = configuration.models.filter { context.gatewayKey?.allows(model: $0.name) ?? false }
        var body = ByteBuffer()
        body.writeStaticString(#"{"object":"list","data":["#)
        for (position, model) in visible.enumerated() {
            if position > 0 { body.writeStaticString(",") }
            Self.write(model, to: &body)
        }
        body.writeStaticString("]}")
        return Response(
            status: .ok, headers: [.contentType: "application/json", .edgeRequestID: context.requestID],
            body: ResponseBody(byteBuffer: body))
    }

    private static func write(_ model: Model, to body: inout ByteBuffer) {
        body.writeStaticString(#"{"id":"#)
        body.writeJSONString(model.name)
        body.writeStaticString(#","object":"model","created":0,"owned_by":"edge-router","aliases":["#)
        for (position, alias) in model.aliases.enumerated() {
            if position > 0 { body.writeStaticString(",") }
            body.writeJSONString(alias)
        }
        body.writeStaticString(#"],"providers":["#)
        for (position, deployment) in model.deployments.enumerated() {
            if position > 0 { body.writeStaticString(",") }
            body.writeStaticString(#"{"provider":"#)
            body.writeJSONString(deployment.provider.id)
            body.writeStaticString(#","model":"#)
            body.writeJSONString(deployment.upstreamModel)
            body.writeStaticString(#","region":"#)
            body.writeJSONString(deployment.provider.region)
            body.writeStaticString("}")
        }
        body.writeStaticString("]}")
    }
}
