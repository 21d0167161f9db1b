import Foundation
import Hummingbird
import NIOCore
import RequestLog

/// `GET /admin/spend` (totals grouped by dimensions and metadata) and `GET /admin/requests` (the records), read
/// from the request log. Admin keys only; parameters as ``SpendReport`` reads them.
struct SpendRoutes: Sendable {
    let store: (any RequestStore)?

    func spend(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let store = try requireStore()
        let parameters = request.uri.queryParameters
        let query = try SpendReport.spendQuery(
            groupBy: parameters["group_by"].map(String.init), from: parameters["from"].map(String.init),
            to: parameters["to"].map(String.init), key: parameters["key"].map(String.init))
        let rows = try await Self.storage { try await store.spend(query) }
        return try Self.json(SpendReport.json(rows, query: query), requestID: context.requestID)
    }

    func requests(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let store = try requireStore()
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        let query = try SpendReport.requestQuery(parameters)
        let records = try await Self.storage { try await store.requests(query) }
        return try Self.json(["requests": records.map(SpendReport.json)], requestID: context.requestID)
    }

    private func requireStore() throws(EdgeRouterError) -> any RequestStore {
        guard let store else {
            throw EdgeRouterError(.notFound, "This router keeps no request log: set log.path in its configuration.")
        }
        return store
    }

    /// A store failure is the router's (500), logged; the client is told only that the log could not be read.
    private static func storage<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw EdgeRouterError(.internalError, "The request log could not be read.")
        }
    }

    private static func json(_ object: [String: Any], requestID: String) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
        return Response(
            status: .ok, headers: [.contentType: "application/json", .edgeRequestID: requestID],
            body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }
}
