/// Why one upstream attempt failed, and whether another deployment may be tried instead.
public struct AttemptFailure: Sendable, Error, CustomStringConvertible {
    /// The kinds of failure, as counted in metrics and named in client messages.
    public enum Cause: String, Sendable, CaseIterable {
        /// The connection could not be made, or broke (refused, reset, DNS, TLS).
        case connection
        /// The provider answered with a retryable status (408, 409, 429, 5xx, 529).
        case status
        /// The provider refused because every one of its slots is busy (a Cog server's 409 "at capacity"): tried
        /// elsewhere, and not held against the deployment (its breaker is not told; its in-flight count and
        /// `capacity` already rank it down while it is full).
        case atCapacity
        /// The provider refused our credentials (401, 403): a configuration problem on our side.
        case credentials
        /// The provider rejected the request itself (400, 413, 422): the client's to fix, not retried.
        case rejected
        /// No first token arrived within the first-token timeout.
        case firstTokenTimeout
        /// The stream closed before any token.
        case closedBeforeToken
        /// The provider sent something that is not its dialect.
        case malformed
        /// The provider reported an error inside the stream.
        case streamError
        /// The stream ran past the provider's `timeouts.stream_ms` (a stream that never ends).
        case streamTimeout
        /// The client stopped reading for longer than `server.timeouts.client_stall_ms`: the client's doing, never
        /// counted against the provider (no breaker failure, no TTFT sample).
        case clientStalled
    }

    /// What went wrong.
    public var cause: Cause
    /// The `provider/model` that failed.
    public var deployment: String
    /// The HTTP status, when there was one.
    public var status: Int?
    /// A short description safe to show to clients: never headers, keys, hosts or ports, and provider text only
    /// as a sanitized excerpt (see ``UpstreamErrorText``).
    public var detail: String
    /// The detail for the logs and `/admin/routes` when it says more than ``detail`` (a connection error's host and
    /// port, say), credentials and URL userinfo redacted; nil when it is ``detail``.
    public var logDetail: String?
    /// The provider's `Retry-After`, for 429 and 503.
    public var retryAfter: Duration?

    /// Whether another deployment may be tried: everything but a request the provider rejected as invalid.
    public var isRetryable: Bool { cause != .rejected }

    public init(
        _ cause: Cause, deployment: String, status: Int? = nil, detail: String, logDetail: String? = nil,
        retryAfter: Duration? = nil
    ) {
        self.cause = cause
        self.deployment = deployment
        self.status = status
        self.detail = detail
        self.logDetail = logDetail
        self.retryAfter = retryAfter
    }

    /// What the logs and `/admin/routes` show: ``logDetail``, else ``detail``.
    public var internalDetail: String { logDetail.map { "\(detail) (\($0))" } ?? detail }

    public var description: String { "\(deployment): \(detail)" }

    /// How a status is treated: the statuses worth trying elsewhere, and those that are the client's fault.
    public static func cause(forStatus status: Int) -> Cause {
        switch status {
        case 401, 403: .credentials
        case 400, 413, 422: .rejected
        default: .status
        }
    }
}
