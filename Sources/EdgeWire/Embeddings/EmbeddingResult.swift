/// A provider's embeddings answer in no dialect: the vectors in input order, and the provider's token count when it
/// gives one (OpenAI's `usage`; Gemini reports none).
public struct EmbeddingResult: Sendable, Equatable {
    /// One vector per input, in the inputs' order.
    public var vectors: [[Float]]
    /// OpenAI's `usage.prompt_tokens`; nil when the provider sent none.
    public var promptTokens: Int?

    public init(vectors: [[Float]], promptTokens: Int? = nil) {
        self.vectors = vectors
        self.promptTokens = promptTokens
    }
}
