import HTTPTypes
import Hummingbird
import NIOCore
import RequestLog

/// `GET /v1/edge/streams/{request_id}`: a resumable answer fetched again by the key that asked for it. A stream
/// replays the events after the client's `Last-Event-ID` (or `?after=N`; from the start without either), then
/// follows the rest live until its end, each event once; a non-streaming answer comes whole once it is complete.
/// Another key's id, an unknown id and an expired one are the same 404, so ids cannot be probed.
struct StreamRoutes: Sendable {
    let streams: StreamRegistry
    /// The request log, to count resumes that come after the request's record was written.
    let store: (any RequestStore)?

    func fetch(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        guard let key = context.gatewayKey, let id = context.parameters.get("id"),
            let buffer = streams.find(requestID: id, keyID: key.id)
        else {
            throw EdgeRouterError(.notFound, "No resumable answer with this id is held for this key.")
        }
        let after = try Self.lastEventID(request)
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
        if buffer.framing == .whole { return try await Self.whole(subscription, requestID: id) }

        var headers = subscription.head?.headerFields ?? [:]
        headers[.contentLength] = nil
        headers[.edgeRequestID] = id
        headers[.edgeResumable] = "true"
        if headers[.contentType] == nil {
            headers[.contentType] = buffer.framing == .jsonArray ? "application/json" : "text/event-stream"
            headers[.cacheControl] = "no-cache"
        }
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await writer.write(contentsOf: subscription.replay)
                if let live = subscription.live {
                    for await event in live { try await writer.write(event) }
                }
                try await writer.finish(nil)
            })
    }

    /// A non-streaming answer: as it was (or will be) answered.
    private static func whole(_ subscription: StreamBuffer.Subscription, requestID: String) async throws -> Response {
        var answer: (HTTPResponse, ByteBuffer)?
        if let head = subscription.head, let body = subscription.replay.first {
            answer = (head, body)
        } else if let waiting = subscription.whole {
            for await completed in waiting {
                answer = completed
                break
            }
        }
        guard let (head, body) = answer else {
            throw EdgeRouterError(.notFound, "The answer was cancelled before it was complete.", status: 410)
        }
        var headers = head.headerFields
        headers[.contentLength] = nil
        headers[.edgeResumable] = "true"
        return Response(status: head.status, headers: headers, body: ResponseBody(byteBuffer: body))
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
