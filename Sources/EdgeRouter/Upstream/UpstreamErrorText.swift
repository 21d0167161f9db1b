import AsyncHTTPClient
import EdgeJSON
import NIOCore
import RoutingCore

/// Words for what went wrong upstream. Provider text is never passed on as it came: a provider (or a proxy in
/// front of it) may echo our `Authorization` header, and its text may carry newlines that forge log lines. So every
/// provider message becomes a short excerpt with credentials redacted and control characters removed
/// (``sanitize(_:)``), and a connection error tells the client only its kind (``describe(_:)``) while the logs and
/// `/admin/routes` keep the whole error (``logDetail(_:)``, credentials and URL userinfo redacted).
struct UpstreamErrorText: Sendable {
    /// Longest excerpt of a provider's text kept, in characters.
    static let excerptLimit = 200
    /// Longest provider text looked at (redaction runs over it before it is cut to the excerpt).
    static let scanLimit = 4096
    /// Shorter strings are not treated as secrets: redacting them would mangle ordinary words.
    static let minimumSecretLength = 6
    /// What a credential is replaced with.
    static let redacted = "[redacted]"

    /// The configured credentials, redacted verbatim wherever they appear.
    private let secrets: [String]

    /// Redacts `secrets` (typically every provider's API key and extra header values) besides the usual
    /// credential shapes.
    init(secrets: [String]) {
        self.secrets = Array(Set(secrets.filter { $0.utf8.count >= Self.minimumSecretLength }))
            .sorted { $0.utf8.count > $1.utf8.count }  // the longest first, so a key containing another goes whole
    }

    /// No configured secret (only the usual credential shapes): what a call holds until it is sent, built once so
    /// that making a call costs no set and no sort.
    static let none = UpstreamErrorText(secrets: [])

    /// The credentials of every provider: API keys and the values of their extra headers.
    init(providers: [Provider]) {
        self.init(secrets: providers.flatMap { provider in [provider.apiKey].compactMap { $0 } + provider.headers.map(\.value) })
    }

    // MARK: Provider text

    /// `text` made safe to show and log: credentials redacted, control characters turned into single spaces,
    /// cut to ``excerptLimit`` characters.
    func sanitize(_ text: some StringProtocol) -> String {
        var text = String(text.prefix(Self.scanLimit))
        text = redact(text)
        text = Self.removingControlCharacters(text)
        return text.count > Self.excerptLimit ? String(text.prefix(Self.excerptLimit)) + "…" : text
    }

    /// `text` with credentials replaced by ``redacted``: the configured secrets verbatim, `Bearer <token>`,
    /// `sk-...` keys, and the values of `x-api-key`, `api_key`, `api-key`, `apikey`, `access_token` and
    /// `authorization` fields (`name: value`, `name=value`, `"name": "value"`).
    func redact(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacing(secret, with: Self.redacted)
        }
        text = text.replacing(#/(?i)(bearer|basic)\s+[A-Za-z0-9._~+\/=\-]+/#) { match in "\(match.output.1) \(Self.redacted)" }
        text = text.replacing(#/sk-[A-Za-z0-9_\-]{6,}/#) { _ in "sk-\(Self.redacted)" }
        text = text.replacing(
            #/(?i)(x-api-key|api[_\-]?key|access[_\-]?token|authorization)(["']?\s*[:=]\s*["']?)([^\s"'&,;]+)/#
        ) { match in "\(match.output.1)\(match.output.2)\(Self.redacted)" }
        return text
    }

    /// Each run of control characters (C0, DEL, C1, line and paragraph separators) as one space, and no space at
    /// either end.
    static func removingControlCharacters(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator:
                pendingSpace = true
            default:
                if pendingSpace, !cleaned.isEmpty { cleaned.append(" ") }
                pendingSpace = false
                cleaned.append(scalar)
            }
        }
        return String(cleaned)
    }

    /// The `message` of an OpenAI-style error body (`{"error": {"message": ...}}`), as the provider wrote it (to
    /// be sanitized before use).
    static func message(in body: ByteBuffer) -> String? {
        body.withUnsafeReadableBytes { raw -> String? in
            var scanner = JSONScanner(raw.bindMemory(to: UInt8.self))
            var message: String?
            do {
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    guard key.matches("error") else {
                        try scanner.skipValue()
                        continue
                    }
                    message = nil
                    if try scanner.consumeNull() { continue }
                    // Cog's errors are a bare string: `{"error":"At capacity - all prediction slots busy"}`.
                    if try scanner.peekKind() == .string {
                        message = try scanner.readString()
                        continue
                    }
                    try scanner.enterObject()
                    while let key = try scanner.nextMember() {
                        if key.matches("message") { message = try scanner.readNullableString() } else { try scanner.skipValue() }
                    }
                }
                try scanner.finish()
            } catch {
                return nil
            }
            return message
        }
    }

    // MARK: Connection errors

    /// The kind of a connection error, for clients: never a host, a port, an address or an error's own text.
    static func describe(_ error: any Error) -> String {
        if let error = error as? UpstreamConnectionError {
            switch error.kind {
            case .connect(let cause, _): return describe(cause)
            case .broken(let cause): return describe(cause)
            case .closedByProvider: return "the provider closed the connection"
            case .shutDown: return "the router is shutting down"
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "could not connect to the provider: connect timed out"
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "could not connect to the provider: connect timed out"
            case .remoteConnectionClosed: return "the provider closed the connection"
            case .readTimeout: return "read timed out"
            default: break
            }
        }
        let text = String(describing: error).lowercased()
        if text.contains("connectionrefused") || text.contains("connection refused") || text.contains("errno: 111") {
            return "could not connect to the provider: connection refused"
        }
        if text.contains("dns") || text.contains("unknown(host") || text.contains("resolve") || text.contains("getaddrinfo") {
            return "could not connect to the provider: DNS lookup failed"
        }
        if text.contains("ssl") || text.contains("tls") || text.contains("handshake") || text.contains("certificate") {
            return "could not connect to the provider: TLS failure"
        }
        if text.contains("timed out") || text.contains("timeout") { return "could not connect to the provider: connect timed out" }
        if text.contains("reset") { return "the connection was reset" }
        return "the connection failed"
    }

    /// The whole error, for the logs and `/admin/routes`: credentials and URL userinfo redacted, control
    /// characters removed, capped.
    func logDetail(_ error: any Error) -> String {
        let text = Self.redactingUserinfo(String(describing: error).prefix(Self.scanLimit))
        return sanitize(text)
    }

    /// `text` with the userinfo of any URL in it (`scheme://user:password@host`) replaced by ``redacted``.
    static func redactingUserinfo(_ text: some StringProtocol) -> String {
        String(text).replacing(#/([A-Za-z][A-Za-z0-9+.\-]*:\/\/)[^\/\s@]+@/#) { match in "\(match.output.1)\(Self.redacted)@" }
    }
}
