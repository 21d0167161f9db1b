import EdgeJSON
import NIOCore

/// Anthropic's error shape: `{"type":"error","error":{"type","message"},"request_id"}`.
public enum AnthropicErrorBody {
    /// The error body. `type` is Anthropic's error type as its SDKs expect it (`invalid_request_error`,
    /// `not_found_error`, `overloaded_error`, `api_error`); `request_id` is written as `null` when there is none.
    public static func json(type: String, message: String, requestID: String?) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 96 + message.utf8.count)
        writeError(type: type, message: message, into: &buffer)
        buffer.writeStaticString(#","request_id":"#)
        if let requestID {
            buffer.writeJSONString(requestID)
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString("}")
        return Array(buffer.readableBytesView)
    }

    /// `{"type":"error","error":{…}` without the closing brace, shared with the stream's error event.
    static func writeError(type: String, message: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"type":"error","error":{"type":"#)
        buffer.writeJSONString(type)
        buffer.writeStaticString(#","message":"#)
        buffer.writeJSONString(message)
        buffer.writeStaticString("}")
    }
}
