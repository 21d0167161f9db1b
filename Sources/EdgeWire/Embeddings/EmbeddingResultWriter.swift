import EdgeJSON
import NIOCore

/// Writes an ``EmbeddingResult`` in the client's dialect: OpenAI's list (numbers, or base64 when asked), or
/// Gemini's `{"embedding":{"values":[...]}}` (`:embedContent`) and `{"embeddings":[{"values":[...]}]}`
/// (`:batchEmbedContents`).
public enum EmbeddingResultWriter {
    /// OpenAI's `{"object":"list","data":[...],"model":...,"usage":{...}}`; `promptTokens` is the count billed.
    public static func openAI(_ result: EmbeddingResult, model: String, encoding: EmbeddingEncoding, promptTokens: Int) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(128 + result.vectors.reduce(0) { $0 + $1.count * 12 })
        out.writeStaticString(#"{"object":"list","data":["#)
        for (index, vector) in result.vectors.enumerated() {
            if index > 0 { out.writeStaticString(",") }
            out.writeStaticString(#"{"object":"embedding","index":"#)
            out.writeJSONInteger(index)
            out.writeStaticString(#","embedding":"#)
            switch encoding {
            case .float: writeVector(vector, into: &out)
            case .base64:
                out.writeStaticString("\"")
                out.writeBytes(FloatBase64.encode(vector))
                out.writeStaticString("\"")
            }
            out.writeStaticString("}")
        }
        out.writeStaticString(#"],"model":"#)
        out.writeJSONString(model)
        out.writeStaticString(#","usage":{"prompt_tokens":"#)
        out.writeJSONInteger(promptTokens)
        out.writeStaticString(#","total_tokens":"#)
        out.writeJSONInteger(promptTokens)
        out.writeStaticString("}}")
        return out
    }

    /// Gemini's answer: one `embedding` for `:embedContent`, `embeddings` for `:batchEmbedContents`.
    public static func gemini(_ result: EmbeddingResult, batch: Bool) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(64 + result.vectors.reduce(0) { $0 + $1.count * 12 })
        if batch {
            out.writeStaticString(#"{"embeddings":["#)
            for (index, vector) in result.vectors.enumerated() {
                if index > 0 { out.writeStaticString(",") }
                writeValues(vector, into: &out)
            }
            out.writeStaticString("]}")
        } else {
            out.writeStaticString(#"{"embedding":"#)
            writeValues(result.vectors.first ?? [], into: &out)
            out.writeStaticString("}")
        }
        return out
    }

    private static func writeValues(_ vector: [Float], into out: inout ByteBuffer) {
        out.writeStaticString(#"{"values":"#)
        writeVector(vector, into: &out)
        out.writeStaticString("}")
    }

    /// Each value in its shortest form that reads back as the same float32 (the readers refuse non-finite ones).
    static func writeVector(_ vector: [Float], into out: inout ByteBuffer) {
        out.writeStaticString("[")
        for (index, value) in vector.enumerated() {
            if index > 0 { out.writeStaticString(",") }
            out.writeString(value.isFinite ? value.description : "0")
        }
        out.writeStaticString("]")
    }
}
