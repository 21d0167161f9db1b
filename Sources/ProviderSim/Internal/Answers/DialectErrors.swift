/// Every error the simulator answers a provider request with, in the dialect's own shape: the one place errors
/// become responses.
extension SimulatorDialect {
    /// An error body with `status` in this dialect's shape: OpenAI `{"error":{"message","type","param","code"}}`,
    /// Anthropic `{"type":"error","error":{"type","message"}}`, Gemini `{"error":{"code","message","status"}}`.
    func errorResponse(_ status: Int, _ message: String) -> SimpleResponse {
        switch self {
        case .openai: .error(status, message)
        case .anthropic:
            SimpleResponse(status: status, body: AnthropicAnswer.error(type: AnthropicAnswer.errorType(status: status), message: message))
        case .gemini: SimpleResponse(status: status, body: GeminiAnswer.error(code: status, message: message))
        }
    }

    /// The answer to a wrong or missing API key.
    var unauthorized: SimpleResponse {
        switch self {
        case .openai: errorResponse(401, "Incorrect API key provided.")
        case .anthropic: errorResponse(401, "invalid x-api-key")
        case .gemini: errorResponse(401, "API key not valid. Please pass a valid API key.")
        }
    }

    /// The answer to an injected failure (`error_rate`), with `Retry-After` on 429 and 503 when configured.
    func injectedFailure(_ status: Int, retryAfter: Int?) -> SimpleResponse {
        let message =
            switch (self, status) {
            case (.anthropic, 529): "Overloaded"
            case (.gemini, 429): "Resource has been exhausted (e.g. check quota)."
            case (.gemini, 503): "The model is overloaded. Please try again later."
            default: "simulated failure"
            }
        var failure = errorResponse(status, message)
        if let retryAfter, status == 429 || status == 503 || status == 529 {
            failure.headers.append(("retry-after", String(retryAfter)))
        }
        return failure
    }
}
