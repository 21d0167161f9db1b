import EdgeJSON
import NIOCore

/// Writes an ``EmbeddingRequest`` for a provider: OpenAI's `/embeddings` body, or Gemini's `:batchEmbedContents`
/// body (always the batch method upstream, so that one call serves any number of inputs). The provider is always
/// asked for floats: a client's `base64` is the router's to write.
public enum EmbeddingRequestWriter {
    /// The body for an OpenAI-dialect provider's `{base_url}/embeddings`, for its model `model`. Refuses what OpenAI
    /// has no place for (Gemini's `taskType` and `title`), naming the field.
    public static func openAIBody(_ request: EmbeddingRequest, model: String) throws(WireError) -> ByteBuffer {
        if request.taskType != nil {
            throw WireError("'taskType' cannot be sent to an OpenAI-dialect provider of this model.", param: "taskType")
        }
        if let index = request.inputs.firstIndex(where: { $0.title != nil }) {
            throw WireError("'title' cannot be sent to an OpenAI-dialect provider of this model.", param: "requests[\(index)].title")
        }
        var out = ByteBuffer()
        out.writeStaticString(#"{"model":"#)
        out.writeJSONString(model)
        out.writeStaticString(#","input":["#)
        for (index, input) in request.inputs.enumerated() {
            if index > 0 { out.writeStaticString(",") }
            switch input.value {
            case .text(let text): out.writeJSONString(text)
            case .tokens(let ids):
                out.writeStaticString("[")
                for (position, id) in ids.enumerated() {
                    if position > 0 { out.writeStaticString(",") }
                    out.writeJSONInteger(id)
                }
                out.writeStaticString("]")
            }
        }
        out.writeStaticString("]")
        if let dimensions = request.dimensions {
            out.writeStaticString(#","dimensions":"#)
            out.writeJSONInteger(dimensions)
        }
        if let user = request.user {
            out.writeStaticString(#","user":"#)
            out.writeJSONString(user)
        }
        for (key, json) in request.extra {
            out.writeStaticString(",")
            out.writeJSONString(key)
            out.writeStaticString(":")
            out.writeBytes(json)
        }
        out.writeStaticString("}")
        return out
    }

    /// The body for a Gemini-dialect provider's `:batchEmbedContents` for its model `model`. Refuses what Gemini
    /// has no place for (token-id inputs, OpenAI fields the router does not know), naming the field. OpenAI's
    /// `user` is not sent: it only labels the request, and the router keeps it on record.
    public static func geminiBody(_ request: EmbeddingRequest, model: String) throws(WireError) -> ByteBuffer {
        if let index = request.inputs.firstIndex(where: { if case .tokens = $0.value { true } else { false } }) {
            let param = request.inputs.count == 1 ? "input" : "input[\(index)]"
            throw WireError("Token-id input cannot be sent to a Gemini-dialect provider of this model.", param: param)
        }
        if let (key, _) = request.extra.first {
            let quoted = EmbeddingLimits.quoted(key)
            throw WireError("'\(quoted)' cannot be sent to a Gemini-dialect provider of this model.", param: quoted)
        }
        var out = ByteBuffer()
        out.writeStaticString(#"{"requests":["#)
        for (index, input) in request.inputs.enumerated() {
            guard case .text(let text) = input.value else { continue }
            if index > 0 { out.writeStaticString(",") }
            out.writeStaticString(#"{"model":"#)
            out.writeJSONString("models/" + model)
            out.writeStaticString(#","content":{"parts":[{"text":"#)
            out.writeJSONString(text)
            out.writeStaticString("}]}")
            if let taskType = request.taskType {
                out.writeStaticString(#","taskType":"#)
                out.writeJSONString(taskType)
            }
            if let title = input.title {
                out.writeStaticString(#","title":"#)
                out.writeJSONString(title)
            }
            if let dimensions = request.dimensions {
                out.writeStaticString(#","outputDimensionality":"#)
                out.writeJSONInteger(dimensions)
            }
            out.writeStaticString("}")
        }
        out.writeStaticString("]}")
        return out
    }
}
