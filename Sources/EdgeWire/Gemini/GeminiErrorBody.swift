import EdgeJSON
import NIOCore

/// Google's error shape: `{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}`.
public enum GeminiErrorBody {
    /// The error body, as Gemini's SDKs read it.
    public static func json(code: Int, message: String, status: String) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 64 + message.utf8.count + status.utf8.count)
        buffer.writeStaticString(#"{"error":{"code":"#)
        buffer.writeJSONInteger(code)
        buffer.writeStaticString(#","message":"#)
        buffer.writeJSONString(message)
        buffer.writeStaticString(#","status":"#)
        buffer.writeJSONString(status)
        buffer.writeStaticString("}}")
        return Array(buffer.readableBytesView)
    }

    /// The `google.rpc.Code` name Google's APIs pair with an HTTP status (its published HTTP mapping). A body too
    /// large is `INVALID_ARGUMENT`, as Gemini reports an oversized request; an overloaded upstream (502, 503,
    /// Anthropic's 529) is `UNAVAILABLE`.
    public static func status(forHTTP code: Int) -> String {
        switch code {
        case 400, 413, 422: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 408, 504: "DEADLINE_EXCEEDED"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "UNIMPLEMENTED"
        case 502, 503, 529: "UNAVAILABLE"
        case 400..<500: "INVALID_ARGUMENT"
        default: "INTERNAL"
        }
    }
}
