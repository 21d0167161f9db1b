import NIOCore

/// Where a provider's calls connect, read once from its base URL: scheme, host and port, the `Host` header and
/// the path that every request path is put after. A request then costs a string append, not a URL parse.
struct UpstreamOrigin: Hashable, Sendable {
    /// Whether connections are TLS (`https`).
    var isTLS: Bool
    /// The host to connect to and to verify the certificate against: a name or an IP address, without brackets.
    var host: String
    var port: Int
    /// The `Host` header: the host (an IPv6 address in brackets) and the port when it is not the scheme's default.
    var hostHeader: String
    /// The base URL's path, without a trailing slash (`/v1`, or empty).
    var basePath: String
    /// The base URL's query, without its `?` (an API version some providers want on every request), or empty.
    var query: String
    /// The name sent in TLS's SNI and checked against the certificate: the host, unless it is an IP address
    /// (SNI cannot carry one; the certificate is then checked against the address connected to).
    var tlsServerName: String?

    /// Reads `http[s]://[userinfo@]host[:port][/path][?query]`; nil for anything else (another scheme, an empty
    /// host, a bad port). Userinfo and a fragment are dropped, as async-http-client dropped them: credentials go in
    /// `api_key` or `headers`.
    init?(baseURL: String) {
        let lowered = baseURL.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            isTLS = true
            rest = baseURL.dropFirst(8)
        } else if lowered.hasPrefix("http://") {
            isTLS = false
            rest = baseURL.dropFirst(7)
        } else {
            return nil
        }
        let beforeFragment = rest.prefix { $0 != "#" }
        let withUserinfo = beforeFragment.prefix { $0 != "/" && $0 != "?" }
        var path = beforeFragment.dropFirst(withUserinfo.count)
        let authority = withUserinfo.lastIndex(of: "@").map { withUserinfo[withUserinfo.index(after: $0)...] } ?? withUserinfo
        guard !authority.isEmpty else { return nil }
        if let mark = path.firstIndex(of: "?") {
            query = String(path[path.index(after: mark)...])
            path = path[..<mark]
        } else {
            query = ""
        }
        while path.hasSuffix("/") { path = path.dropLast() }
        basePath = String(path)
        let defaultPort = isTLS ? 443 : 80
        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            // An IPv6 literal: `[::1]` or `[::1]:8080`.
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }
        guard !hostPart.isEmpty else { return nil }
        if let portPart {
            // Outside input (a configuration file): parsed, never trapped on.
            guard let parsed = Int(portPart), (1...65_535).contains(parsed) else { return nil }
            port = parsed
        } else {
            port = defaultPort
        }
        host = String(hostPart)
        tlsServerName = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
        let bracketed = host.contains(":") ? "[\(host)]" : host
        hostHeader = port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    /// `host:port`, for the logs.
    var authority: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    /// The request target for a path under the base URL (`/chat/completions` → `/v1/chat/completions`), with the
    /// base URL's query joined to the path's own.
    func target(_ path: String) -> String {
        Self.joining(basePath + path, query: query)
    }

    /// `path` with `query` (without its `?`) joined to the path's own query, if it has one.
    static func joining(_ path: String, query: some StringProtocol) -> String {
        guard !query.isEmpty else { return path }
        return path + (path.contains("?") ? "&" : "?") + query
    }
}
