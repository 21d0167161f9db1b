/// The one error type of the probe engine.
///
/// It is used in two ways:
/// - thrown by `ProbeEngine.probe(_:)` when no measurement was made at all
///   (`invalidRequest`, `cancelled`, `shutdown`, `internal`);
/// - carried in `ProbeResult.error` when the probe ran but the provider failed it
///   (every other code), so the phase timings measured up to the failure are kept.
///
/// Messages never contain request headers, the request body or a URL's query string,
/// so secrets such as `Authorization` values cannot leak into logs through them.
public struct ProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Hashable, CustomStringConvertible {
        /// The request is malformed (bad URL or scheme, a header containing CR/LF, a non-positive timeout...).
        case invalidRequest
        /// The host name could not be resolved.
        case dns
        /// The TCP connection could not be established (refused, unreachable...).
        case connect
        /// The TLS handshake failed, including certificate verification failures.
        case tls
        /// A timeout expired; `ProbeError.phase` says what the probe was waiting for.
        case timeout
        /// The provider answered with a non-2xx status; see `httpStatus` and `responseBodyPrefix`.
        case httpStatus
        /// The body observer reported a stream-level error (for example an SSE error event).
        case stream
        /// The response violated HTTP or ended early (empty reply, truncated body, no first token).
        case `protocol`
        /// Sending or receiving failed on an established connection (for example a reset).
        case network
        /// The awaiting task was cancelled; the transfer was stopped.
        case cancelled
        /// The engine was shut down before the probe finished.
        case shutdown
        /// libcurl or the engine failed in a way that says nothing about the provider.
        case `internal`

        /// The code's name.
        public var description: String { rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation, including libcurl's error-buffer text where there is one.
    public var message: String
    /// The phase the probe was in when it failed, where known.
    public var phase: ProbePhase?
    /// The raw libcurl `CURLcode`, where the failure came from libcurl.
    public var curlCode: Int?
    /// The HTTP status, for `httpStatus` errors.
    public var httpStatus: Int?
    /// Up to the first 512 bytes of an error response's body (never its headers), for diagnostics.
    public var responseBodyPrefix: String?

    /// Creates an error.
    public init(
        code: Code,
        message: String,
        phase: ProbePhase? = nil,
        curlCode: Int? = nil,
        httpStatus: Int? = nil,
        responseBodyPrefix: String? = nil
    ) {
        self.code = code
        self.message = message
        self.phase = phase
        self.curlCode = curlCode
        self.httpStatus = httpStatus
        self.responseBodyPrefix = responseBodyPrefix
    }

    /// `code: message`, followed by the phase and libcurl code where known.
    public var description: String {
        var text = "\(code): \(message)"
        if let phase { text += " [phase: \(phase)]" }
        if let curlCode { text += " [curl code \(curlCode)]" }
        return text
    }
}

/// The phases of a probe, in order. Used to say where a failure or timeout happened.
public enum ProbePhase: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Resolving the host name.
    case dns
    /// Establishing the TCP connection.
    case connect
    /// The TLS handshake (https only).
    case tls
    /// Request sent (or being sent); waiting for the first byte of the response.
    case firstByte
    /// Response started; waiting for the body observer to see the first content token.
    case firstToken
    /// First token seen; receiving the rest of the body.
    case body

    /// A short human-readable phrase, e.g. "waiting for the first content token".
    public var description: String {
        switch self {
        case .dns: "resolving the host name"
        case .connect: "establishing the TCP connection"
        case .tls: "the TLS handshake"
        case .firstByte: "waiting for the first response byte"
        case .firstToken: "waiting for the first content token"
        case .body: "receiving the response body"
        }
    }
}
