import HTTPTypes
import Hummingbird
import NIOCore

/// `/status`: the live status page for admin keys (see ``StatusAccess``), its login and logout, and its event
/// stream. The page's answers are never cached and never framed.
struct StatusRoutes: Sendable {
    let access: StatusAccess
    let service: StatusService

    /// Largest login form accepted: a key field and nothing else.
    static let maxLoginBytes = 4096

    func register(on router: Router<EdgeRequestContext>) {
        router.get("/status", use: page)
        router.post("/status/login", use: login)
        router.post("/status/logout", use: logout)
        router.get("/status/events", use: events)
    }

    /// `GET /status`: the page, or the login form (401) for a request without credentials.
    func page(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let nonce = Self.nonce()
        guard access.verdict(for: request) != .denied else {
            let message = request.headers[.authorization] != nil ? "That is not an admin key." : nil
            return Self.html(StatusPage.login(message: message, nonce: nonce), nonce: nonce, status: .unauthorized)
        }
        return Self.html(StatusPage.page(service.board.snapshot(), nonce: nonce), nonce: nonce, status: .ok)
    }

    /// `POST /status/login` with the form's `key`: a session cookie and back to the page, or the form again (401).
    func login(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        guard StatusAccess.isSameOrigin(request) else { return Self.crossSite() }
        let body = try await request.body.collect(upTo: Self.maxLoginBytes)
        let form = String(buffer: body)
        let nonce = Self.nonce()
        guard let key = ChatEndpoint.queryValue(form[...], named: "key"), !key.isEmpty else {
            return Self.html(StatusPage.login(message: "Enter an admin key.", nonce: nonce), nonce: nonce, status: .unauthorized)
        }
        guard access.adminKeys().key(forSecret: key) != nil else {
            let message = access.adminKeys().isEmpty
                ? "No admin keys are configured (admin_keys in the configuration file)." : "That is not an admin key."
            return Self.html(StatusPage.login(message: message, nonce: nonce), nonce: nonce, status: .unauthorized)
        }
        let token = access.sessions.create()
        return Self.redirect(cookie: access.cookie(token, secure: access.cameOverTLS(request, context: context)))
    }

    /// `POST /status/logout`: ends the session and clears its cookie.
    func logout(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        guard StatusAccess.isSameOrigin(request) else { return Self.crossSite() }
        if let token = StatusAccess.sessionToken(in: request.headers) { access.sessions.revoke(token) }
        return Self.redirect(cookie: access.cookie(nil, secure: access.cameOverTLS(request, context: context)))
    }

    /// `GET /status/events`: a snapshot at once, then one per event interval, as server-sent events, until the
    /// browser leaves or the server shuts down. 503 when the live-page limit is reached.
    func events(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        guard access.verdict(for: request) != .denied else {
            return Self.text("Log in at /status or send an admin key as a bearer token.\n", status: .unauthorized)
        }
        guard let stream = service.feed.subscribe() else {
            return Self.text("Too many live status pages are open; try again later.\n", status: .serviceUnavailable)
        }
        let first = service.event()
        var headers = Self.commonHeaders
        headers[.contentType] = "text/event-stream"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                // A browser that reconnects waits 5 s first, so a restarting node is not hammered.
                var opening = ByteBuffer(string: "retry: 5000\n\n")
                if let first { opening.writeImmutableBuffer(first) }
                try await writer.write(opening)
                for await event in stream { try await writer.write(event) }
                try await writer.finish(nil)
            })
    }

    /// 16 random bytes as hex: a nonce for one response's Content-Security-Policy.
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next() as UInt64, generator.next() as UInt64]
        return words.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// No caching, no framing, no sniffing, no referrer to other sites. Not `no-referrer`: with it browsers send
    /// `Origin: null` on the login form's POST, which the cross-site check must refuse.
    static let commonHeaders: HTTPFields = [
        .cacheControl: "no-store", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("X-Frame-Options")!: "DENY", HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]

    /// Only this response's inline style and script, requests to this origin, and forms posted here.
    static func contentSecurityPolicy(nonce: String) -> String {
        "default-src 'none'; style-src 'nonce-\(nonce)'; script-src 'nonce-\(nonce)'; connect-src 'self'; img-src 'self';"
            + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    private static func html(_ text: String, nonce: String, status: HTTPResponse.Status) -> Response {
        var headers = commonHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy(nonce: nonce)
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="edge-router status""# }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        var headers = commonHeaders
        headers[.contentType] = "text/plain; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="edge-router status""# }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// 303 to the page, so that a reload does not post the form again.
    private static func redirect(cookie: String) -> Response {
        var headers = commonHeaders
        headers[.location] = "/status"
        headers[.setCookie] = cookie
        return Response(status: .seeOther, headers: headers)
    }

    private static func crossSite() -> Response {
        text("Refused: the request did not come from the status page itself.\n", status: .forbidden)
    }
}
