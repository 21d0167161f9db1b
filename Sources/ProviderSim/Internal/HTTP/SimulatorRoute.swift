import Foundation
import NIOHTTP1

/// What a request asks for, from its method and path (the query is ignored, and empty path segments too, as
/// Hummingbird's router did).
enum SimulatorRoute: Equatable {
    /// OpenAI `POST /v1/chat/completions`.
    case chat
    /// OpenAI Responses API `POST /v1/responses`, served by the OpenAI dialect (as OpenAI serves both).
    case responses
    /// Anthropic `POST /v1/messages`.
    case messages
    /// Gemini `POST /v1beta/models/{model}:generateContent` or `:streamGenerateContent`.
    case generateContent(model: String, stream: Bool)
    /// OpenAI `POST /v1/embeddings`.
    case embeddings
    /// Gemini `POST /v1beta/models/{model}:embedContent` (`batch` false) or `:batchEmbedContents`.
    case embedContent(model: String, batch: Bool)
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
        case "/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/embeddings", "/v1/responses", "/responses", "/_sim/config", "/_sim/stats", "/_sim/reset": normalized = path
        default: normalized = Substring("/" + path.split(separator: "/").joined(separator: "/"))
        }
        switch (method, normalized) {
        case (.POST, "/v1/chat/completions"), (.POST, "/chat/completions"): self = .chat
        case (.POST, "/v1/responses"), (.POST, "/responses"): self = .responses
        case (.POST, "/v1/messages"): self = .messages
        case (.POST, "/v1/embeddings"), (.POST, "/embeddings"): self = .embeddings
        case (.GET, "/_sim/config"): self = .getConfig
        case (.POST, "/_sim/config"): self = .postConfig
        case (.GET, "/_sim/stats"): self = .stats
        case (.POST, "/_sim/reset"): self = .reset
        case (.POST, _): self = Self.gemini(normalized) ?? .notFound
        default: self = .notFound
        }
    }

    /// `/v1beta/models/{model}:{method}` (also `/v1/models/...`), the model percent-decoded.
    private static func gemini(_ path: Substring) -> SimulatorRoute? {
        let prefixes = ["/v1beta/models/", "/v1/models/"]
        guard let prefix = prefixes.first(where: { path.hasPrefix($0) }) else { return nil }
        let rest = path.dropFirst(prefix.count)
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let encoded = String(rest[..<colon])
        let model = encoded.removingPercentEncoding ?? encoded
        guard !model.isEmpty, !model.contains("/") else { return nil }
        switch rest[rest.index(after: colon)...] {
        case "generateContent": return .generateContent(model: model, stream: false)
        case "streamGenerateContent": return .generateContent(model: model, stream: true)
        case "embedContent": return .embedContent(model: model, batch: false)
        case "batchEmbedContents": return .embedContent(model: model, batch: true)
        default: return nil
        }
    }

    /// The dialect whose endpoint this is; nil for the control endpoints.
    var dialect: SimulatorDialect? {
        switch self {
        case .chat, .responses, .embeddings: .openai
        case .messages: .anthropic
        case .generateContent, .embedContent: .gemini
        case .getConfig, .postConfig, .stats, .reset, .notFound: nil
        }
    }

    /// The value of query parameter `name` in `uri` (percent-decoded), or nil.
    static func query(_ name: String, in uri: String) -> String? {
        guard let start = uri.firstIndex(of: "?") else { return nil }
        var query = uri[uri.index(after: start)...]
        if let fragment = query.firstIndex(of: "#") { query = query[..<fragment] }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first.map(String.init) == name else { continue }
            let value = parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ") : ""
            return value.removingPercentEncoding ?? value
        }
        return nil
    }
}
