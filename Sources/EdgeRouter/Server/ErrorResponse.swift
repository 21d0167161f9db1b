import EdgeJSON
import EdgeWire
import HTTPTypes
import Hummingbird
import NIOCore
import RoutingCore

/// The one place where errors become HTTP responses, in the client's dialect.
enum ErrorResponse {
    static func make(_ error: EdgeRouterError, requestID: String, dialect: Dialect) -> Response {
        let (head, body) = parts(error, requestID: requestID, dialect: dialect)
        var headers = head.headerFields
        headers[.contentLength] = nil  // Hummingbird sets it from the body
        return Response(status: head.status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// The response head (with `content-length`) and body for an error, in `dialect`'s shape and status
    /// conventions (Anthropic answers "no provider can serve it now" with 529, as its own API does when overloaded).
    static func parts(_ error: EdgeRouterError, requestID: String, dialect: Dialect) -> (HTTPResponse, ByteBuffer) {
        let body = body(error, requestID: requestID, dialect: dialect)
        var headers: HTTPFields = [
            .contentType: "application/json", .contentLength: String(body.readableBytes), .edgeRequestID: requestID,
        ]
        headers.append(contentsOf: error.headers)
        if error.code == .unauthenticated, dialect == .openai { headers[.wwwAuthenticate] = "Bearer" }
        return (HTTPResponse(status: HTTPResponse.Status(code: status(of: error, in: dialect)), headerFields: headers), body)
    }

    /// The HTTP status of `error` in `dialect`.
    static func status(of error: EdgeRouterError, in dialect: Dialect) -> Int {
        if dialect == .anthropic, error.code == .unavailable || error.code == .allAttemptsFailed { return 529 }
        return error.status
    }

    /// The error body in `dialect`'s shape.
    static func body(_ error: EdgeRouterError, requestID: String, dialect: Dialect) -> ByteBuffer {
        switch dialect {
        case .openai, .openaiResponses, .cog:
            // No client speaks Cog or `openai-responses` (provider dialects only: a Responses client's errors are
            // OpenAI's); OpenAI's shape is the neutral one.
            return ByteBuffer(bytes: openAIBody(error, requestID: requestID))
        case .anthropic:
            return ByteBuffer(
                bytes: AnthropicErrorBody.json(
                    type: anthropicType(of: error, status: status(of: error, in: .anthropic)),
                    message: "\(error.message) (request id \(requestID))", requestID: requestID))
        case .gemini:
            return ByteBuffer(
                bytes: GeminiErrorBody.json(
                    code: error.status, message: "\(error.message) (request id \(requestID))",
                    status: GeminiErrorBody.status(forHTTP: error.status)))
        }
    }

    /// The error as an in-stream event, for a stream that already sent its head: OpenAI's and Gemini's as a data
    /// frame with the error object, Anthropic's as its `error` event.
    static func sseFrame(_ error: EdgeRouterError, requestID: String, dialect: Dialect) -> ByteBuffer {
        var buffer = ByteBuffer()
        if dialect == .anthropic { buffer.writeString("event: error\n") }
        buffer.writeString("data: ")
        var body = body(error, requestID: requestID, dialect: dialect)
        buffer.writeBuffer(&body)
        buffer.writeString(dialect == .gemini ? "\r\n\r\n" : "\n\n")
        return buffer
    }

    /// The dialect of a request Hummingbird answers (model lists, unknown paths): Gemini's paths are under
    /// `/v1beta`, and Anthropic's SDKs send `anthropic-version` with every request.
    static func dialect(path: String, anthropicVersion: Bool) -> Dialect {
        if path.hasPrefix("/v1beta/") || path.hasPrefix("/v1beta?") || path == "/v1beta" { return .gemini }
        if anthropicVersion || path.hasPrefix("/v1/messages") { return .anthropic }
        return .openai
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
        // A refused configuration reload (422): the file sent for it is at fault.
        case .invalidRequest, .modelNotFound, .notFound, .payloadTooLarge, .upstreamRejected, .invalidConfiguration:
            "invalid_request_error"
        case .allAttemptsFailed, .unavailable, .streamInterrupted, .responseTooLarge, .internalError, .sharedCacheFailed,
            .sharedCacheUnavailable:
            "api_error"
        case .deadlineExceeded: "timeout"
        case .rateLimited: "requests"
        case .budgetExceeded: "insufficient_quota"
        }
    }

    /// Anthropic's error `type` values, as its SDKs expect them.
    private static func anthropicType(of error: EdgeRouterError, status: Int) -> String {
        switch error.code {
        case .unauthenticated: return "authentication_error"
        case .modelNotAllowed, .residencyViolation: return "permission_error"
        case .modelNotFound, .notFound: return "not_found_error"
        case .payloadTooLarge: return "request_too_large"
        case .invalidRequest, .invalidConfiguration: return "invalid_request_error"
        case .deadlineExceeded: return "timeout_error"
        case .rateLimited, .budgetExceeded: return "rate_limit_error"
        case .allAttemptsFailed, .unavailable: return "overloaded_error"
        case .upstreamRejected:
            switch status {
            case 401: return "authentication_error"
            case 403: return "permission_error"
            case 404: return "not_found_error"
            case 413: return "request_too_large"
            case 429: return "rate_limit_error"
            default: return "invalid_request_error"
            }
        case .streamInterrupted, .responseTooLarge, .internalError, .sharedCacheFailed, .sharedCacheUnavailable:
            return "api_error"
        }
    }

    /// The machine-readable `code`, one per ``EdgeRouterError/Code`` (also the request log's `error_type`).
    static func openAICode(of code: EdgeRouterError.Code) -> String {
        switch code {
        case .unauthenticated: "invalid_api_key"
        case .modelNotAllowed: "model_not_allowed"
        case .residencyViolation: "residency_violation"
        case .invalidRequest: "invalid_request"
        case .modelNotFound: "model_not_found"
        case .notFound: "not_found"
        case .payloadTooLarge: "request_too_large"
        case .rateLimited: "rate_limit_exceeded"
        case .budgetExceeded: "insufficient_quota"
        case .upstreamRejected: "upstream_rejected"
        case .allAttemptsFailed: "all_providers_failed"
        case .unavailable: "no_provider_available"
        case .deadlineExceeded: "deadline_exceeded"
        case .streamInterrupted: "stream_interrupted"
        case .responseTooLarge: "response_too_large"
        case .internalError: "internal_error"
        case .invalidConfiguration: "invalid_configuration"
        case .sharedCacheFailed: "shared_cache_failed"
        case .sharedCacheUnavailable: "shared_cache_unavailable"
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
            return ErrorResponse.make(
                shaped, requestID: context.requestID, dialect: ErrorResponse.dialect(path: request.uri.path, anthropicVersion: request.headers[.anthropicVersion] != nil))
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
    static let edgeMetadata = Self("x-edge-metadata")!
    static let edgeResumable = Self("x-edge-resumable")!
    static let lastEventID = Self("last-event-id")!
    static let xAPIKey = Self("x-api-key")!
}
