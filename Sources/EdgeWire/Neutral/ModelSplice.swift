import EdgeJSON
import NIOCore

/// A JSON request body with its top-level `model` replaced, everything else as the client wrote it: for requests
/// the router passes on without reading (Anthropic's `count_tokens`).
public enum ModelSplice {
    /// The client's model and the body with `upstreamModel` in its place (every occurrence of the client's `model`
    /// removed, so none can override it). Refused, naming the field, when the body is not a JSON object or has no
    /// `model` string.
    public static func replacingModel(
        in bytes: [UInt8], with upstreamModel: (String) throws(WireError) -> String
    ) throws(WireError) -> (clientModel: String, body: ByteBuffer) {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(WireError) in try splice(buffer, upstreamModel) }
        }
        return try result.get()
    }

    private static func splice(
        _ bytes: UnsafeBufferPointer<UInt8>, _ upstreamModel: (String) throws(WireError) -> String
    ) throws(WireError) -> (clientModel: String, body: ByteBuffer) {
        var scanner = JSONScanner(bytes)
        var model: String?
        var kept: [Range<Int>] = []
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                let start = key.span.start - 1
                if key.matches("model") {
                    guard try scanner.peekKind() == .string else {
                        throw WireError("'model' must be a non-empty string.", param: "model")
                    }
                    model = try scanner.readString()
                } else {
                    try scanner.skipValue()
                    kept.append(start..<scanner.offset)
                }
            }
            try scanner.finish()
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError("The request body is not a valid JSON object.")
        }
        guard let model, !model.isEmpty else { throw WireError("Missing required parameter: 'model'.", param: "model") }
        var body = ByteBufferAllocator().buffer(capacity: bytes.count + 32)
        body.writeStaticString(#"{"model":"#)
        body.writeJSONString(try upstreamModel(model))
        for range in kept {
            body.writeStaticString(",")
            body.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[range])))
        }
        body.writeStaticString("}")
        return (model, body)
    }
}
