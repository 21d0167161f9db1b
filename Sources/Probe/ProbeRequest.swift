/// One time-to-first-token probe: what to send, and how to connect and measure.
///
/// The defaults measure the full path: a fresh connection (so DNS, TCP and TLS are
/// timed), a POST, certificate verification on, HTTP/2 preferred over TLS.
///
/// `description`, `debugDescription` and the reflection mirror (used by `dump`) redact
/// headers, body and the URL's path and query, so printing, dumping or logging a request
/// cannot leak an API key.
public struct ProbeRequest: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// An HTTP method token such as `POST`.
    public struct Method: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        /// The method token as sent on the wire.
        public var rawValue: String
        /// Creates a method from its token (e.g. "POST").
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Creates a method from a string literal.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// The method token.
        public var description: String { rawValue }

        /// `GET`.
        public static let get: Method = "GET"
        /// `POST`, the default.
        public static let post: Method = "POST"
        /// `PUT`.
        public static let put: Method = "PUT"
        /// `PATCH`.
        public static let patch: Method = "PATCH"
        /// `DELETE`.
        public static let delete: Method = "DELETE"
        /// `HEAD`. No body is received, so such a probe never sees a first token: it
        /// measures the connection phases and time to first byte, then reports a `protocol` error.
        public static let head: Method = "HEAD"
    }

    /// TLS settings. Verification is on by default; turn it off only for tests.
    public struct TLS: Sendable, Hashable {
        /// Verify the server certificate chain (`CURLOPT_SSL_VERIFYPEER`).
        public var verifyPeer: Bool
        /// Verify that the certificate matches the host name (`CURLOPT_SSL_VERIFYHOST`).
        public var verifyHost: Bool
        /// A PEM file of trusted CA certificates (`CURLOPT_CAINFO`) replacing the system store;
        /// `nil` uses the system store.
        public var caBundlePath: String?

        /// Creates TLS settings; by default the peer and host are verified against the system store.
        public init(verifyPeer: Bool = true, verifyHost: Bool = true, caBundlePath: String? = nil) {
            self.verifyPeer = verifyPeer
            self.verifyHost = verifyHost
            self.caBundlePath = caBundlePath
        }
    }

    /// Per-phase time limits. Each must be positive.
    public struct Timeouts: Sendable, Hashable {
        /// Limit for resolving, connecting and the TLS handshake together (`CURLOPT_CONNECTTIMEOUT_MS`).
        public var connect: Duration
        /// Limit from the transfer's start until the first content token. It is enforced
        /// by the engine while the response is 2xx or not yet known; not after a token
        /// was seen, and not for non-2xx responses.
        public var firstToken: Duration
        /// Limit for the whole transfer (`CURLOPT_TIMEOUT_MS`).
        public var total: Duration

        /// Creates timeouts; the defaults suit a real LLM provider.
        public init(connect: Duration = .seconds(10), firstToken: Duration = .seconds(30), total: Duration = .seconds(120)) {
            self.connect = connect
            self.firstToken = firstToken
            self.total = total
        }
    }

    /// The absolute `http://` or `https://` URL to probe.
    public var url: String
    /// The method; `POST` by default.
    public var method: Method
    /// Request headers, sent in order. These are never logged nor put into errors.
    public var headers: [(name: String, value: String)]
    /// The request body (e.g. a JSON chat request with `"stream": true`).
    public var body: [UInt8]
    /// Whether the probe may use a connection kept from an earlier probe to the same
    /// origin. `false` (the default) forces a fresh connection that is closed afterwards
    /// (`CURLOPT_FRESH_CONNECT` + `CURLOPT_FORBID_REUSE`) and skips libcurl's DNS cache, so
    /// DNS, connect and TLS are measured.
    public var reuseConnection: Bool
    /// TLS settings.
    public var tls: TLS
    /// Offer HTTP/2 via ALPN on https (`CURL_HTTP_VERSION_2TLS`); plain http stays HTTP/1.1.
    /// `false` forces HTTP/1.1.
    public var preferHTTP2: Bool
    /// Per-phase time limits.
    public var timeouts: Timeouts
    /// Makes the per-probe detector of the first content token. Called on the engine
    /// thread when the probe starts. `nil` uses `FirstBodyByteObserver`.
    public var bodyObserver: (@Sendable () -> any ProbeBodyObserver)?
    /// Stop the transfer as soon as the first token is seen and report success, instead
    /// of reading the whole stream (saves provider tokens).
    public var stopAfterFirstToken: Bool

    /// Creates a probe request.
    public init(
        url: String,
        method: Method = .post,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        reuseConnection: Bool = false,
        tls: TLS = TLS(),
        preferHTTP2: Bool = true,
        timeouts: Timeouts = Timeouts(),
        stopAfterFirstToken: Bool = false,
        bodyObserver: (@Sendable () -> any ProbeBodyObserver)? = nil
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.reuseConnection = reuseConnection
        self.tls = tls
        self.preferHTTP2 = preferHTTP2
        self.timeouts = timeouts
        self.stopAfterFirstToken = stopAfterFirstToken
        self.bodyObserver = bodyObserver
    }

    /// A redacted summary: method, origin, header count and body size only.
    public var description: String {
        "ProbeRequest(\(method) \(RedactedURL.origin(of: url)), \(headers.count) header(s), \(body.count) body byte(s))"
    }

    /// The same redacted summary as `description`.
    public var debugDescription: String { description }

    /// A mirror exposing only the redacted summary, so `dump` shows no header or body.
    public var customMirror: Mirror {
        Mirror(self, children: ["summary": description], displayStyle: .struct)
    }

    /// Whether the URL uses https (decides whether a TLS phase exists).
    var isHTTPS: Bool {
        url.utf8.count >= 8 && url.prefix(8).lowercased() == "https://"
    }

    /// Rejects requests libcurl would misinterpret or that could inject headers.
    func validate() throws(ProbeError) {
        let lowered = url.prefix(8).lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw invalid("the URL must be absolute and use http:// or https:// (got \(RedactedURL.origin(of: url)))")
        }
        guard !Self.containsControlCharacter(url, allowingTab: false), !url.contains(" ") else {
            throw invalid("the URL contains spaces or control characters")
        }
        guard !method.rawValue.isEmpty, method.rawValue.utf8.allSatisfy(Self.isTokenByte) else {
            throw invalid("the method is not a valid HTTP token")
        }
        for (index, header) in headers.enumerated() {
            // Report positions, never names or values: a malformed line may hold a secret.
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.isTokenByte) else {
                throw invalid("header #\(index + 1) has an empty or invalid name")
            }
            guard !Self.containsControlCharacter(header.value, allowingTab: true) else {
                throw invalid("header #\(index + 1) has a value containing CR, LF or another control character")
            }
        }
        if let path = tls.caBundlePath, path.isEmpty || path.utf8.contains(0) {
            throw invalid("the CA bundle path is empty or contains NUL")
        }
        for (name, limit) in [("connect", timeouts.connect), ("first-token", timeouts.firstToken), ("total", timeouts.total)]
        where limit <= .zero {
            throw invalid("the \(name) timeout must be positive")
        }
    }

    private func invalid(_ message: String) -> ProbeError {
        ProbeError(code: .invalidRequest, message: message)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func containsControlCharacter(_ text: String, allowingTab: Bool) -> Bool {
        text.utf8.contains { byte in
            (byte < 0x20 && !(allowingTab && byte == 0x09)) || byte == 0x7F
        }
    }
}
