import EdgeJSON
import EdgeWire
import HTTPTypes
import Hummingbird
import NIOCore
import RoutingCore

/// `GET` and `DELETE /v1/responses/{id}`: the Responses API's stored responses, for the key that made them (another
/// key's id is the same 404 as an unknown one).
///
/// `GET /v1/responses/{id}?stream=true&starting_after=N` is OpenAI's own resume: it reads the same buffer as
/// `GET /v1/edge/streams/{request_id}`. A response's id is `resp_` followed by its request id
/// (`x-edge-request-id`), and its events' `sequence_number`s are their SSE ids, so `starting_after=N` is
/// `?after=N` there.
struct ResponseRoutes: Sendable {
    let responses: ResponseStore
    let streams: StreamRoutes

    /// The prefix of every response id; what follows it is the request id.
    static let idPrefix = "resp_"

    func retrieve(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        guard let key = context.gatewayKey, let id = context.parameters.get("id") else { throw Self.notFound("") }
        if request.uri.queryParameters["stream"].map({ $0 == "true" }) ?? false {
            guard id.hasPrefix(Self.idPrefix) else { throw Self.notFound(id) }
            let after = try Self.startingAfter(request)
            return try await streams.serve(
                request, context: context, id: String(id.dropFirst(Self.idPrefix.count)), after: after, query: "after=\(after)")
        }
        guard let entry = await responses.recall(id: id, keyID: key.id) else { throw Self.notFound(id) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: entry.json))
    }

    func delete(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        guard let key = context.gatewayKey, let id = context.parameters.get("id") else { throw Self.notFound("") }
        guard await responses.delete(id: id, keyID: key.id) else { throw Self.notFound(id) }
        var body = ByteBuffer()
        body.writeStaticString(#"{"id":"#)
        body.writeJSONString(id)
        body.writeStaticString(#","object":"response","deleted":true}"#)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }

    /// `starting_after`: a whole number, 0 (from the start) without it.
    static func startingAfter(_ request: Request) throws(EdgeRouterError) -> Int {
        guard let text = request.uri.queryParameters["starting_after"] else { return 0 }
        guard let value = Int(String(text)), value >= 0 else {
            throw EdgeRouterError(.invalidRequest, "'starting_after' must be a whole number.", param: "starting_after")
        }
        return value
    }

    private static func notFound(_ id: String) -> EdgeRouterError {
        EdgeRouterError(.notFound, "Response with id '\(EchoedInput.quoted(id))' not found.", param: "response_id")
    }
}
