/// The provider API a ``ProviderSimulator`` speaks (`--dialect` of `edge-router sim`, `dialect` in
/// `POST /_sim/config`).
public enum SimulatorDialect: String, Sendable, CaseIterable {
    /// OpenAI chat completions: `POST /v1/chat/completions`.
    case openai
    /// Anthropic Messages: `POST /v1/messages`.
    case anthropic
    /// Google Gemini: `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`.
    case gemini
}
