import EdgeJSON
import NIOCore

/// OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`.
public enum OpenAIErrorBody {
    /// The error body; the message ends with the request id, so that a client's bug report names the request.
    /// `type` and `code` are OpenAI's values as its SDKs expect them (`invalid_request_error`, `model_not_found`).
    public static func json(message: String, type: String, param: String?, code: String, requestID: String) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeStaticString(#"{"error":{"message":"#)
        buffer.writeJSONString("\(message) (request id \(requestID))")
        buffer.writeStaticString(#","type":"#)
        buffer.writeJSONString(type)
        buffer.writeStaticString(#","param":"#)
        if let param {
            buffer.writeJSONString(param)
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString(#","code":"#)
        buffer.writeJSONString(code)
        buffer.writeStaticString("}}")
        return Array(buffer.readableBytesView)
    }
}
