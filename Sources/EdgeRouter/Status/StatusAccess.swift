import GeoIP
import HTTPTypes
import Hummingbird
import NIOCore

/// Who may see the status page: a request with `Authorization: Bearer <admin key>`, or a browser holding a live
/// session cookie. Also the page's defence against cross-site requests to its login and logout.
struct StatusAccess: Sendable {
    /// The session cookie's name.
    static let cookieName = "edge_status"
    /// The admin keys, read at each request: a configuration reload replaces them.
    let adminKeys: @Sendable () -> KeyRing
    let sessions: StatusSessions
    /// Peers whose `X-Forwarded-Proto` is believed (a TLS-terminating proxy in front of the router).
    let trustedProxies: [CIDR]

    enum Verdict: Equatable {
        /// An admin key in the `Authorization` header.
        case bearer
        /// A live session cookie.
        case session
        /// Nothing that lets the request in (no credentials, a wrong key, an expired or unknown session).
        case denied
    }

    /// Whether the request may see the page, and how it showed it.
    func verdict(for request: Request) -> Verdict {
        if request.headers[.authorization] != nil {
            // A wrong key in the header is refused even when a cookie would do: the header is the explicit ask.
            guard let secret = AuthMiddleware.presentedSecret(request.headers), adminKeys().key(forSecret: secret) != nil else {
                return .denied
            }
            return .bearer
        }
        if let token = Self.sessionToken(in: request.headers), sessions.isValid(token) { return .session }
        return .denied
    }

    /// The session token the request's cookies carry, if any.
    static func sessionToken(in headers: HTTPFields) -> Substring? {
        for field in headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == cookieName[...] else { continue }
                let value = trimmed[trimmed.index(after: equals)...]
                // Tokens are 64 hex digits: anything else is not ours, and is not worth hashing.
                guard value.utf8.count == 64, value.utf8.allSatisfy(Self.isHexDigit) else { return nil }
                return value
            }
        }
        return nil
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// A `Set-Cookie` value that stores `token` (nil: one that clears the cookie).
    func cookie(_ token: String?, secure: Bool) -> String {
        let value = token.map { "\(Self.cookieName)=\($0); Max-Age=\(sessions.lifetimeSeconds)" } ?? "\(Self.cookieName)=; Max-Age=0"
        return value + "; Path=/status; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// Whether the browser reached us over TLS, as far as the server can know: it does not terminate TLS itself,
    /// so only a trusted proxy's `X-Forwarded-Proto: https` says so.
    func cameOverTLS(_ request: Request, context: EdgeRequestContext) -> Bool {
        guard let proto = request.headers[Self.forwardedProto], proto.lowercased() == "https",
            let peer = ClientLocator.peerAddress(of: context.channel)
        else { return false }
        return trustedProxies.contains { $0.contains(peer) }
    }

    /// Whether a state-changing request (login, logout) comes from this site's own page. Browsers send `Origin`
    /// on every POST and `Sec-Fetch-Site` on every request; a request with neither is not a browser's, and so not
    /// a forged one (the cookie is `SameSite=Strict` besides).
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[secFetchSite], site != "same-origin" { return false }
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
