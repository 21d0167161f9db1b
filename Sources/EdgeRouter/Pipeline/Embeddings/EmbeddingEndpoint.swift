import EdgeWire
import NIOCore
import RoutingCore

/// An embeddings endpoint of a client dialect: how its body is read and its answer written.
enum EmbeddingEndpoint: Sendable, Equatable {
    /// `POST /v1/embeddings`.
    case openAI
    /// `POST /v1beta/models/{model}:embedContent` (`batch` false) or `:batchEmbedContents` (`batch` true).
    case gemini(model: String, batch: Bool)

    /// The client's dialect.
    var dialect: Dialect {
        switch self {
        case .openAI: .openai
        case .gemini: .gemini
        }
    }

    /// The Gemini endpoint a path (without its query) names, or nil. As for chat, every segment after `models/`
    /// is the model's name (a pinned `provider/model` has a slash), percent-decoded.
    init?(geminiPath path: Substring) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard segments.count >= 3, segments[0] == "v1beta", segments[1] == "models",
            let colon = segments[segments.count - 1].lastIndex(of: ":")
        else { return nil }
        let last = segments[segments.count - 1]
        let batch: Bool
        switch last[colon...].dropFirst() {
        case "embedContent": batch = false
        case "batchEmbedContents": batch = true
        default: return nil
        }
        let name = (segments[2..<(segments.count - 1)].map(String.init) + [String(last[..<colon])]).joined(separator: "/")
        guard let model = ChatEndpoint.percentDecoded(name), !model.isEmpty else { return nil }
        self = .gemini(model: model, batch: batch)
    }

    /// Reads the client's body; errors name the field.
    func read(_ body: some Collection<UInt8>) throws(WireError) -> EmbeddingRequest {
        switch self {
        case .openAI: try OpenAIEmbeddingReader.read(body)
        case .gemini(let model, let batch): try GeminiEmbeddingReader.read(body, model: model, batch: batch)
        }
    }

    /// The answer in the client's dialect; `promptTokens` is the count billed (OpenAI's `usage`).
    func answer(_ result: EmbeddingResult, request: EmbeddingRequest, model: String, promptTokens: Int) -> ByteBuffer {
        switch self {
        case .openAI: EmbeddingResultWriter.openAI(result, model: model, encoding: request.encoding, promptTokens: promptTokens)
        case .gemini(_, let batch): EmbeddingResultWriter.gemini(result, batch: batch)
        }
    }
}
