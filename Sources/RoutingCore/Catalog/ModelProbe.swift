/// A model's own probe request (`models[].probe_prompt`, `models[].probe_max_tokens`).
public struct ModelProbe: Sendable, Equatable {
    public var prompt: String?
    public var maxTokens: Int?

    public init(prompt: String? = nil, maxTokens: Int? = nil) {
        self.prompt = prompt
        self.maxTokens = maxTokens
    }
}
