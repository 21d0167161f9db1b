import NIOHTTP1

/// What a request asks for, from its method and path (the query is ignored, and empty path segments too, as
/// Hummingbird's router did).
enum SimulatorRoute: Equatable {
    case chat
    case getConfig
    case postConfig
    case stats
    case reset
    case notFound

    init(method: HTTPMethod, uri: String) {
        var path = Substring(uri)
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        let normalized: Substring
        switch path {
        case "/v1/chat/completions", "/chat/completions", "/_sim/config", "/_sim/stats", "/_sim/reset": normalized = path
        default: normalized = Substring("/" + path.split(separator: "/").joined(separator: "/"))
        }
        switch (method, normalized) {
        case (.POST, "/v1/chat/completions"), (.POST, "/chat/completions"): self = .chat
        case (.GET, "/_sim/config"): self = .getConfig
        case (.POST, "/_sim/config"): self = .postConfig
        case (.GET, "/_sim/stats"): self = .stats
        case (.POST, "/_sim/reset"): self = .reset
        default: self = .notFound
        }
    }
}
