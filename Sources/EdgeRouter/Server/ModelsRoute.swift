import Foundation
import Hummingbird
import NIOCore

/// `GET /v1/models`: the catalog in OpenAI's list format, limited to what the caller's key may use; each entry
/// also lists its providers and aliases.
struct ModelsRoute: Sendable {
    let catalog: Catalog

    func handle(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visible = catalog.models.filter { context.gatewayKey?.allows(model: $0.name) ?? false }
        let data: [[String: Any]] = visible.map { model in
            [
                "id": model.name,
                "object": "model",
                "created": 0,
                "owned_by": "edge-router",
                "aliases": model.aliases,
                "providers": model.deployments.map { ["provider": $0.provider.id, "model": $0.upstreamModel, "region": $0.provider.region] },
            ]
        }
        let body = try JSONSerialization.data(withJSONObject: ["object": "list", "data": data], options: [.withoutEscapingSlashes])
        return Response(
            status: .ok, headers: [.contentType: "application/json", .edgeRequestID: context.requestID],
            body: ResponseBody(byteBuffer: ByteBuffer(data: body)))
    }
}
