import EdgeJSON
import EdgeWire
import HTTPTypes
import Hummingbird
import NIOCore

/// The one place where errors become HTTP responses, in the client's dialect.
enum ErrorResponse {
    static func make(_ error: EdgeRouterError, requestID: String) -> Response {
        let (head, body) = parts(error, requestID: requestID)
        var headers = head.headerFields
        headers[.contentLength] = nil  // Hummingbird sets it from the body
        return Response(status: head.status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// The response head (with `content-length`) and body for an error.
    static func parts(_ error: EdgeRouterError, requestID: String) -> (HTTPResponse, ByteBuffer) {
        let body = ByteBuffer(bytes: openAIBody(error, requestID: requestID))
        var headers: HTTPFields = [
            .contentType: "application/json", .contentLength: String(body.readableBytes), .edgeRequestID: requestID,
        ]
        headers.append(contentsOf: error.headers)
        if error.code == .unauthenticated { headers[.wwwAuthenticate] = "Bearer" }
        return (HTTPResponse(status: HTTPResponse.Status(code: error.status), headerFields: headers), body)
    }

    /// An SSE frame carrying the error, for a stream that already sent its head.
    static func sseFrame(_ error: EdgeRouterError, requestID: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("data: ")
        buffer.writeBytes(openAIBody(error, requestID: requestID))
        buffer.writeString("\n\n")
        return buffer
    }

    /// Maps what other layers throw (Hummingbird's own 404 and 405, body limits) to the same shape.
    static func translate(_ error: any Error) -> EdgeRouterError {
        switch error {
        case let error as EdgeRouterError:
            return error
        case is NIOTooManyBytesError:
            return EdgeRouterError(.payloadTooLarge, "The request body is larger than the configured limit.")
        case let error as HTTPError where error.status == .notFound:
            return EdgeRouterError(.notFound, "No such endpoint.")
        case let error as HTTPError:
            return EdgeRouterError(.invalidRequest, error.body ?? error.status.reasonPhrase, status: error.status.code)
        default:
            return EdgeRouterError(.internalError, "The router failed to handle the request.")
        }
    }

    /// The error in OpenAI's shape.
    static func openAIBody(_ error: EdgeRouterError, requestID: String) -> [UInt8] {
        OpenAIErrorBody.json(
            message: error.message, type: openAIType(of: error.code), param: error.param, code: openAICode(of: error.code),
            requestID: requestID)
    }

    /// OpenAI's `type` values, as its SDKs expect them.
    private static func openAIType(of code: EdgeRouterError.Code) -> String {
        switch code {
        case .unauthenticated: "authentication_error"
        case .modelNotAllowed, .residencyViolation: "permission_error"
        case .invalidRequest, .modelNotFound, .notFound, .payloadTooLarge, .upstreamRejected: "invalid_request_error"
        case .allAttemptsFailed, .unavailable, .streamInterrupted, .responseTooLarge, .internalError, .invalidConfiguration:
            "api_error"
        case .deadlineExceeded: "timeout"
        }
    }

    /// The machine-readable `code`, one per ``EdgeRouterError/Code``.
    private static func openAICode(of code: EdgeRouterError.Code) -> String {
        switch code {
        case .unauthenticated: "invalid_api_key"
        case .modelNotAllowed: "model_not_allowed"
        case .residencyViolation: "residency_violation"
        case .invalidRequest: "invalid_request"
        case .modelNotFound: "model_not_found"
        case .notFound: "not_found"
        case .payloadTooLarge: "request_too_large"
        case .upstreamRejected: "upstream_rejected"
        case .allAttemptsFailed: "all_providers_failed"
        case .unavailable: "no_provider_available"
        case .deadlineExceeded: "deadline_exceeded"
        case .streamInterrupted: "stream_interrupted"
        case .responseTooLarge: "response_too_large"
        case .internalError, .invalidConfiguration: "internal_error"
        }
    }
}

/// Turns every error thrown by a route into a response in the client's error shape, with the request id.
struct ErrorShapeMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let shaped = ErrorResponse.translate(error)
            if shaped.code == .internalError {
                context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            }
            return ErrorResponse.make(shaped, requestID: context.requestID)
        }
    }
}

extension HTTPTypes.HTTPField.Name {
    static let edgeRequestID = Self("x-edge-request-id")!
    static let edgeProvider = Self("x-edge-provider")!
    static let edgeUpstreamModel = Self("x-edge-upstream-model")!
    static let edgeAttempts = Self("x-edge-attempts")!
    static let edgeRouteReason = Self("x-edge-route-reason")!
    static let edgeTTFT = Self("x-edge-ttft-ms")!
    static let edgeTTFTEstimate = Self("x-edge-ttft-estimate-ms")!
    static let edgeEstimateAge = Self("x-edge-estimate-age-ms")!
    static let edgeRoute = Self("x-edge-route")!
    static let edgeTimeout = Self("x-edge-timeout-ms")!
    static let xAPIKey = Self("x-api-key")!
}
