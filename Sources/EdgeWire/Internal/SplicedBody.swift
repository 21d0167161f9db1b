import EdgeJSON
import NIOCore

/// A pass-through body: `{"model":` with the deployment's own model id, then the tail spliced from the client's
/// bytes at parsing (its other members, the router's own `stream`, the closing brace). OpenAI's and Anthropic's
/// request bodies are made this way.
enum SplicedBody {
    static func with(model: String, tail: ByteBuffer) -> ByteBuffer {
        var body = ByteBufferAllocator().buffer(capacity: tail.readableBytes + model.utf8.count + 16)
        body.writeStaticString(#"{"model":"#)
        body.writeJSONString(model)
        body.writeImmutableBuffer(tail)
        return body
    }
}
