import EdgeJSON
import HTTPTypes

/// The one error type of the EdgeRouter module.
///
/// Every failure that can reach a client is an `EdgeRouterError`; `Server/ErrorResponse.swift` is the single place
/// that turns one into an HTTP response in the client's dialect. The message is written for the client and must
/// never contain a secret (provider keys, gateway keys, upstream request headers).
public struct EdgeRouterError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, which decides the HTTP status and the error type in each dialect.
    public enum Code: String, Sendable {
        /// No gateway key, or a key that matches none configured (401).
        case unauthenticated
        /// The key may not use the requested model (403).
        case modelNotAllowed
        /// A residency rule leaves no deployment this client may be served by (403); never relaxed.
        case residencyViolation
        /// The request body is not acceptable: malformed JSON, a missing or wrongly typed field (400).
        case invalidRequest
        /// The requested model is not in the configuration (404).
        case modelNotFound
        /// No route matches the method and path (404).
        case notFound
        /// The request body is larger than the configured limit (413).
        case payloadTooLarge
        /// The key's `rate_limit` (requests or tokens per minute) is used up for now (429, with `Retry-After`).
        case rateLimited
        /// The key's `budget` (US dollars per day or month) is spent (429, with `Retry-After` until it renews).
        case budgetExceeded
        /// The provider rejected the request as invalid; passed on with the provider's status (4xx).
        case upstreamRejected
        /// Every attempt failed with a retryable error (502).
        case allAttemptsFailed
        /// No deployment could be tried at all (503).
        case unavailable
        /// The request's own deadline (`x-edge-timeout-ms`, or `server.request_timeout_ms`) passed before any
        /// first token (504). The client's limit, never counted against a provider.
        case deadlineExceeded
        /// The upstream stream broke after the first token had been sent (only ever as an in-stream error frame).
        case streamInterrupted
        /// A non-streaming answer grew past `server.max_response_bytes` (502); the upstream call was cancelled.
        case responseTooLarge
        /// The router itself failed in a way that should not happen (500).
        case internalError
        /// The configuration file has mistakes; ``EdgeRouterError/configurationIssues`` lists each with its path.
        case invalidConfiguration
        /// A command to the response cache's shared tier (Redis) failed: timed out, the connection closed, a
        /// malformed reply, or the server refused it (the message says which). Never reaches a client: the cache
        /// treats it as a miss, or an answer not shared, and counts it in `edge_cache_redis_errors_total`.
        case sharedCacheFailed
        /// The shared tier has no connection now (Redis down, reconnecting after a backoff): the command was not
        /// sent. Never reaches a client, and not counted as an error (the failed connection attempt was logged).
        case sharedCacheUnavailable
    }

    /// What went wrong.
    public var code: Code
    /// A message for the client, naming the offending field or the attempts made.
    public var message: String
    /// The request field at fault, when there is one (OpenAI's `param`).
    public var param: String?
    /// The HTTP status to answer with; defaults from the code, overridden for `upstreamRejected`.
    public var status: Int
    /// For `invalidConfiguration`: every mistake found, each with its path in the file.
    public var configurationIssues: [ConfigurationIssue] = []
    /// Headers the error response carries besides the request id (for example where the client is).
    var headers: HTTPFields = [:]

    /// `error` (any thrown error, translated) carrying these response headers too.
    static func decorated(_ error: any Error, headers: HTTPFields) -> EdgeRouterError {
        var shaped = ErrorResponse.translate(error)
        shaped.headers.append(contentsOf: headers)
        return shaped
    }

    public init(_ code: Code, _ message: String, param: String? = nil, status: Int? = nil) {
        self.code = code
        self.message = message
        self.param = param
        self.status = status ?? code.defaultStatus
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension EdgeRouterError.Code {
    /// The HTTP status each code answers with unless the error says otherwise.
    public var defaultStatus: Int {
        switch self {
        case .unauthenticated: 401
        case .modelNotAllowed, .residencyViolation: 403
        case .invalidRequest: 400
        case .modelNotFound, .notFound: 404
        case .payloadTooLarge: 413
        case .rateLimited, .budgetExceeded: 429
        case .upstreamRejected: 400
        case .allAttemptsFailed: 502
        case .unavailable: 503
        case .deadlineExceeded: 504
        case .streamInterrupted, .responseTooLarge: 502
        case .internalError, .invalidConfiguration: 500
        case .sharedCacheFailed, .sharedCacheUnavailable: 503
        }
    }
}

