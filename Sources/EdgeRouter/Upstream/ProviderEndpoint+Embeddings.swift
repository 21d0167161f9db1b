import EdgeWire
import NIOCore
import RoutingCore

extension ProviderEndpoint {
    /// The URL of an embeddings request to `deployment`: OpenAI (either OpenAI dialect) `{base_url}/embeddings`, Gemini
    /// `{base_url}/v1beta/models/{model}:batchEmbedContents` (always the batch method, so that one call serves any
    /// number of inputs); nil for Anthropic, which has no embeddings API.
    static func embeddingsURL(for deployment: Deployment) -> String? {
        let provider = deployment.provider
        switch provider.dialect {
        case .openai, .openaiResponses: return url(provider, "/embeddings")
        case .gemini: return url(provider, "/v1beta/models/" + pathSegment(deployment.upstreamModel) + ":batchEmbedContents")
        case .anthropic, .cog: return nil
        }
    }

    /// An embeddings request's headers: the provider's authentication and configured headers, asking for JSON.
    static func embeddingHeaders(for provider: Provider) -> [(name: String, value: String)] {
        headers(for: provider).map { $0.name == "accept" ? ("accept", "application/json") : $0 }
    }

    /// The body of `request` for `deployment`, in its provider's dialect; refused (naming the field) when the
    /// dialect cannot carry the request.
    static func embeddingBody(_ request: EmbeddingRequest, for deployment: Deployment) throws(WireError) -> ByteBuffer {
        switch deployment.provider.dialect {
        case .openai, .openaiResponses: return try EmbeddingRequestWriter.openAIBody(request, model: deployment.upstreamModel)
        case .gemini: return try EmbeddingRequestWriter.geminiBody(request, model: deployment.upstreamModel)
        case .anthropic: throw WireError("Anthropic-dialect providers have no embeddings.", param: "model")
        case .cog: throw WireError("Cog-dialect providers serve chat models only.", param: "model")
        }
    }

    /// Reads a provider's 2xx embeddings answer, which must hold `expected` vectors.
    static func embeddingResult(_ body: ByteBuffer, from deployment: Deployment, expected: Int) throws(WireError) -> EmbeddingResult {
        switch deployment.provider.dialect {
        case .openai, .openaiResponses: return try EmbeddingResultReader.openAI(body, expected: expected)
        case .gemini: return try EmbeddingResultReader.gemini(body, expected: expected)
        case .anthropic: throw WireError("Anthropic-dialect providers have no embeddings.")
        case .cog: throw WireError("Cog-dialect providers serve chat models only.")
        }
    }
}
