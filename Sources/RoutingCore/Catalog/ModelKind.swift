/// What a model does, which decides the endpoints that serve it (`models[].kind`).
public enum ModelKind: String, Sendable, Equatable, CaseIterable {
    /// Chat: `/v1/chat/completions`, `/v1/messages`, `:generateContent`.
    case chat
    /// Embeddings: `/v1/embeddings`, `:embedContent`, `:batchEmbedContents`. Routed by total latency (there is no
    /// first token); its deployments are distinct from any chat model's, so their estimates stay apart.
    case embedding
}
