/// Reduces URLs to what is safe to log or print.
public enum RedactedURL {
    /// `scheme://host[:port]` of `url`, without user info, path, query or fragment, which
    /// may carry credentials (some providers take the API key as a query parameter).
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "<unparseable URL>" }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        var authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        return "\(scheme)://\(authority)"
    }

    /// `url` as it may be printed: scheme, host, port and path, without the user info (`user:password@`) and with
    /// any query or fragment replaced by `?…` (some providers take the API key as a query parameter). Text
    /// without `://` is treated the same way, from its start, so a malformed URL is redacted too.
    public static func withoutCredentials(_ url: String) -> String {
        let rest = url.firstRange(of: "://").map { url[$0.upperBound...] } ?? url[...]
        let prefix = url[..<rest.startIndex]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let host = rest[..<authorityEnd].lastIndex(of: "@").map { rest[rest.index(after: $0)..<authorityEnd] } ?? rest[..<authorityEnd]
        let tail = rest[authorityEnd...]
        let path = tail.prefix { $0 != "?" && $0 != "#" }
        return "\(prefix)\(host)\(path)\(path.endIndex < tail.endIndex ? "?…" : "")"
    }

    /// `text` with every occurrence of `url` replaced by its origin, so a libcurl error
    /// message that echoes the URL cannot leak its path or query.
    static func scrub(_ text: String, url: String) -> String {
        guard !url.isEmpty, text.contains(url) else { return text }
        return text.replacing(url, with: origin(of: url) + "/…")
    }
}
