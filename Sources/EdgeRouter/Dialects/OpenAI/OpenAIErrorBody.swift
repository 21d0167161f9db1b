import NIOCore

/// OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`.
enum OpenAIErrorBody {
    static func json(for error: EdgeRouterError, requestID: String) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeStaticString(#"{"error":{"message":"#)
        buffer.writeJSONString("\(error.message) (request id \(requestID))")
        buffer.writeStaticString(#","type":"#)
        buffer.writeJSONString(Self.type(of: error.code))
        buffer.writeStaticString(#","param":"#)
        if let param = error.param {
            buffer.writeJSONString(param)
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString(#","code":"#)
        buffer.writeJSONString(Self.code(of: error.code))
        buffer.writeStaticString("}}")
        return Array(buffer.readableBytesView)
    }

    /// OpenAI's `type` values, as its SDKs expect them.
    private static func type(of code: EdgeRouterError.Code) -> String {
        switch code {
        case .unauthenticated: "authentication_error"
        case .modelNotAllowed, .residencyViolation: "permission_error"
        case .invalidRequest, .modelNotFound, .notFound, .payloadTooLarge, .upstreamRejected: "invalid_request_error"
        case .allAttemptsFailed, .unavailable, .streamInterrupted, .responseTooLarge, .internalError, .invalidConfiguration:
            "api_error"
        case .deadlineExceeded: "timeout"
        }
    }

    private static func code(of code: EdgeRouterError.Code) -> String {
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
