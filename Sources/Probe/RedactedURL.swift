/// Reduces URLs to what is safe to log.
enum RedactedURL {
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

    /// `text` with every occurrence of `url` replaced by its origin, so a libcurl error
    /// message that echoes the URL cannot leak its path or query.
    static func scrub(_ text: String, url: String) -> String {
        guard !url.isEmpty, text.contains(url) else { return text }
        return text.replacing(url, with: origin(of: url) + "/…")
    }
}
