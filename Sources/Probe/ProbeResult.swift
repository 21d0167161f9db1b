/// The outcome of one probe: the phase timings measured and, if the provider failed the
/// probe, why.
///
/// All durations come from libcurl's per-transfer clock except `timeToFirstToken`, which
/// the engine takes with a monotonic clock started immediately before the
/// `curl_multi_perform` call in which libcurl starts the transfer, so the two clocks start
/// within microseconds of each other. (When many probes start in the same round, libcurl
/// opens their sockets one after the other, so for the last ones its clock starts a little
/// later and their first-token time reads high by that much: microseconds per probe.)
///
/// Phases that did not happen (TLS on http; DNS, connect and TLS on a reused connection)
/// are zero. So are `tcpConnect` and `tlsHandshake` when connecting failed or timed out:
/// libcurl 7.87+ publishes those times only once the whole connection is up. `total`
/// still covers the attempt, and `error.phase` says where it stopped.
public struct ProbeResult: Sendable, Hashable {
    /// The final HTTP status, or `nil` if no response status was received.
    public var httpStatus: Int?
    /// Time spent resolving the host name (`CURLINFO_NAMELOOKUP_TIME_T`).
    public var dns: Duration
    /// Time spent establishing the TCP connection, after DNS (connect minus namelookup).
    public var tcpConnect: Duration
    /// Time spent in the TLS handshake (appconnect minus connect); zero for http.
    public var tlsHandshake: Duration
    /// Time from the start until the first response byte (`CURLINFO_STARTTRANSFER_TIME_T`),
    /// or `nil` if nothing was received.
    public var timeToFirstByte: Duration?
    /// Time from the start until the body observer reported the first content token,
    /// or `nil` if it did not.
    public var timeToFirstToken: Duration?
    /// Time from the start until the transfer ended or was stopped. Never shorter than
    /// `timeToFirstByte` or `timeToFirstToken`.
    public var total: Duration
    /// Whether an already open connection was used (`CURLINFO_NUM_CONNECTS` was 0).
    public var connectionReused: Bool
    /// The HTTP version of the response.
    public var httpVersion: ProbeHTTPVersion
    /// Response body bytes received (`CURLINFO_SIZE_DOWNLOAD_T`).
    public var bytesReceived: Int64
    /// Whether the transfer was stopped right after the first token (`stopAfterFirstToken`).
    public var stoppedAfterFirstToken: Bool
    /// Why the probe failed, or `nil` if it succeeded (2xx and a first token seen).
    public var error: ProbeError?

    /// Whether the probe succeeded: a 2xx response in which the first token was seen.
    public var isSuccess: Bool { error == nil }

    /// Creates a result (the engine makes these; public for tests and adapters).
    public init(
        httpStatus: Int?,
        dns: Duration,
        tcpConnect: Duration,
        tlsHandshake: Duration,
        timeToFirstByte: Duration?,
        timeToFirstToken: Duration?,
        total: Duration,
        connectionReused: Bool,
        httpVersion: ProbeHTTPVersion,
        bytesReceived: Int64,
        stoppedAfterFirstToken: Bool,
        error: ProbeError?
    ) {
        self.httpStatus = httpStatus
        self.dns = dns
        self.tcpConnect = tcpConnect
        self.tlsHandshake = tlsHandshake
        self.timeToFirstByte = timeToFirstByte
        self.timeToFirstToken = timeToFirstToken
        self.total = total
        self.connectionReused = connectionReused
        self.httpVersion = httpVersion
        self.bytesReceived = bytesReceived
        self.stoppedAfterFirstToken = stoppedAfterFirstToken
        self.error = error
    }
}

/// The HTTP version a response used (`CURLINFO_HTTP_VERSION`).
public enum ProbeHTTPVersion: String, Sendable, Hashable, CustomStringConvertible {
    /// HTTP/1.0.
    case http1_0 = "HTTP/1.0"
    /// HTTP/1.1.
    case http1_1 = "HTTP/1.1"
    /// HTTP/2.
    case http2 = "HTTP/2"
    /// HTTP/3.
    case http3 = "HTTP/3"
    /// No response, or a version this libcurl reports that is not listed here.
    case unknown = "unknown"

    /// The version as written on the wire, e.g. "HTTP/2".
    public var description: String { rawValue }
}
