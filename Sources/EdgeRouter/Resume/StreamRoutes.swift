import AsyncHTTPClient
import Crypto
import GeoIP
import HTTPTypes
import Hummingbird
import NIOCore
import RequestLog

/// `GET /v1/edge/streams/{request_id}`: a resumable answer fetched again by the key that asked for it. A stream
/// replays the events after the client's `Last-Event-ID` (or `?after=N`; from the start without either), then
/// follows the rest live until its end, each event once; a non-streaming answer comes whole once it is complete.
/// Another key's id, an unknown id and an expired one are the same 404, so ids cannot be probed.
///
/// In a fleet with a `secret`, a resume that comes to another node than the one holding the answer is forwarded
/// there: the id names its node (`node.random`; a client's own id is asked of every other node in turn), and the
/// forwarded call carries the client's key and `x-edge-fleet-secret`. A forwarded call is never forwarded again.
struct StreamRoutes: Sendable {
    let streams: StreamRegistry
    /// The request log, to count resumes that come after the request's record was written.
    let store: (any RequestStore)?
    /// The fleet served now (a configuration reload may replace it).
    let currentFleet: @Sendable () -> FleetSettings?

    static let fleetSecretHeader = HTTPField.Name("x-edge-fleet-secret")!

    func fetch(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id") else { throw EdgeRouterError(.notFound, Self.notHeld) }
        return try await serve(request, context: context, id: id, after: try Self.lastEventID(request), query: request.uri.query)
    }

    /// The answer `id` from after event `after`, for this route and for the Responses API's own resume
    /// (`GET /v1/responses/{id}?stream=true&starting_after=N`). `query` goes with a call forwarded to the node
    /// that holds the answer.
    func serve(_ request: Request, context: EdgeRequestContext, id: String, after: Int, query: String?) async throws -> Response {
        let fleet = currentFleet()
        let forwarded = try checkFleetSecret(request, fleet: fleet)
        guard let key = context.gatewayKey else { throw EdgeRouterError(.notFound, Self.notHeld) }
        guard let buffer = streams.find(requestID: id, keyID: key.id) else {
            if !forwarded, let fleet, let secret = fleet.secret {
                for node in Self.owners(of: id, in: fleet) {
                    if let response = try await forward(request, id: id, query: query, to: node, secret: secret) { return response }
                }
            }
            throw EdgeRouterError(.notFound, Self.notHeld)
        }
        if buffer.framing == .jsonArray, after > 0 {
            throw EdgeRouterError(
                .invalidRequest,
                "Gemini's JSON array streams are fetched again from the start; stream with alt=sse to resume after an event.",
                param: "after")
        }
        let recorded = buffer.isFinished
        guard let subscription = buffer.subscribe(after: after) else {
            throw EdgeRouterError(.notFound, "This answer outgrew the resume buffer and is no longer held.", status: 410)
        }
        streams.metrics.resumed()
        if recorded, let store { try? await store.addResume(requestID: id) }
        var start = subscription.start
        if start == nil, let waiting = subscription.waitForStart {
            for await began in waiting {
                start = began
                break
            }
        }
        switch start {
        case .whole(let head, let body):
            var headers = head.headerFields
            headers[.contentLength] = nil
            headers[.edgeResumable] = "true"
            buffer.delivered()
            return Response(status: head.status, headers: headers, body: ResponseBody(byteBuffer: body))
        case .stream(let head):
            var headers = head.headerFields
            headers[.contentLength] = nil
            headers[.edgeRequestID] = id
            headers[.edgeResumable] = "true"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    try await writer.write(contentsOf: subscription.replay)
                    if let live = subscription.live {
                        for await event in live { try await writer.write(event) }
                    }
                    try await writer.finish(nil)
                    // The live feed ends only when the answer does (or outgrew the buffer, and is owed no more).
                    buffer.delivered()
                })
        case nil:
            throw EdgeRouterError(.notFound, "The answer was cancelled before it began.", status: 410)
        }
    }

    static let notHeld = "No resumable answer with this id is held for this key."

    /// Whether the call comes from another node of the fleet (with the right secret); a wrong secret is a 401.
    private func checkFleetSecret(_ request: Request, fleet: FleetSettings?) throws(EdgeRouterError) -> Bool {
        guard let presented = request.headers[Self.fleetSecretHeader] else { return false }
        guard let secret = fleet?.secret,
            SHA256.hash(data: Array(presented.utf8)) == SHA256.hash(data: Array(secret.utf8))
        else {
            throw EdgeRouterError(.unauthenticated, "The fleet secret is not this fleet's.")
        }
        return true
    }

    /// The nodes that may hold answer `id`: the one its prefix names, or, for an id a client chose, every other.
    static func owners(of id: String, in fleet: FleetSettings) -> [FleetNode] {
        let others = fleet.nodes.filter { $0.id != fleet.selfID }
        let named = others.filter { id.hasPrefix($0.id + ".") }.max { $0.id.count < $1.id.count }
        if let named { return [named] }
        return fleet.nodes.contains { id.hasPrefix($0.id + ".") } ? [] : others
    }

    /// Asks `node` for the answer on the client's behalf; nil when it does not hold it either (404).
    private func forward(_ request: Request, id: String, query: String?, to node: FleetNode, secret: String) async throws -> Response? {
        let base = node.url.hasSuffix("/") ? String(node.url.dropLast()) : node.url
        var upstream = HTTPClientRequest(url: base + "/v1/edge/streams/\(id)" + (query.map { "?\($0)" } ?? ""))
        upstream.method = .GET
        for name in [HTTPField.Name.authorization, .xAPIKey, .googAPIKey, .lastEventID] {
            if let value = request.headers[name] { upstream.headers.add(name: name.rawName, value: value) }
        }
        upstream.headers.add(name: Self.fleetSecretHeader.rawName, value: secret)
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(upstream, timeout: .seconds(10))
        } catch {
            return nil  // a node that cannot be reached holds nothing this request can have
        }
        guard response.status != .notFound else { return nil }
        var headers = HTTPFields()
        for header in response.headers where header.name.lowercased() != "content-length" && header.name.lowercased() != "transfer-encoding" {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        let body = response.body
        return Response(
            status: HTTPResponse.Status(code: Int(response.status.code)), headers: headers,
            body: ResponseBody { writer in
                for try await chunk in body { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }

    /// The last event the client has: `Last-Event-ID`, else `?after=`, else none (0). Anything but a whole number
    /// is a 400.
    static func lastEventID(_ request: Request) throws(EdgeRouterError) -> Int {
        let text = request.headers[.lastEventID] ?? request.uri.queryParameters["after"].map(String.init)
        guard let text else { return 0 }
        guard let id = Int(text.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw EdgeRouterError(
                .invalidRequest, "Last-Event-ID (or after) must be the whole number of an event id.", param: "Last-Event-ID")
        }
        return id
    }
}
