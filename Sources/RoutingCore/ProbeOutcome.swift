/// What a background probe of a deployment found, as the engine learns from it (the router turns each libcurl
/// result into one of these).
public enum ProbeOutcome: Sendable, Equatable {
    /// The first token came after this long.
    case firstToken(Duration)
    /// No first token: the provider's HTTP status if it answered, and why, for the breaker's last failure.
    case failed(httpStatus: Int?, message: String)
}
