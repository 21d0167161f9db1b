import RoutingCore

/// Where and how a streaming chat request goes to a deployment, in its provider's dialect: the one place that
/// knows each dialect's path and authentication, for live calls and probes alike.
///
/// - OpenAI: `{base_url}/chat/completions` (the base URL ends in `/v1`), `Authorization: Bearer`.
/// - OpenAI Responses (`openai-responses`): `{base_url}/responses`, `Authorization: Bearer`.
/// - Anthropic: `{base_url}/v1/messages`, `x-api-key` and `anthropic-version` (the client's, when an Anthropic
///   client sent one, else ``anthropicVersion``), with the client's `anthropic-beta` passed on.
/// - Gemini: `{base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse`, `x-goog-api-key`.
/// - Cog: `PUT {base_url}/predictions/{id}` with an id the router chose (so that it can cancel the prediction),
///   `Accept: text/event-stream` unless the predictor does not stream, `Authorization: Bearer` when a key is set
///   (a Cog server behind an authenticating proxy).
enum ProviderEndpoint {
    /// The Messages API version sent when the client gave none.
    static let anthropicVersion = "2023-06-01"

    /// The URL of a streaming chat request to `deployment`.
    static func url(for deployment: Deployment) -> String {
        url(deployment.provider, path(for: deployment))
    }

    /// The URL of `path` under a provider's base URL: the path goes before the base URL's query (an API version
    /// some providers want on every request), which is joined to the path's own.
    static func url(_ provider: Provider, _ path: String) -> String {
        let base = provider.baseURL
        guard let mark = base.firstIndex(of: "?") else { return base + path }
        let query = base[base.index(after: mark)...].prefix { $0 != "#" }
        return UpstreamOrigin.joining(base[..<mark] + path, query: query)
    }

    /// The path of a streaming chat request to `deployment`, after the base URL.
    static func path(for deployment: Deployment) -> String {
        switch deployment.provider.dialect {
        case .openai: "/chat/completions"
        case .openaiResponses: "/responses"
        case .anthropic: "/v1/messages"
        case .gemini: "/v1beta/models/" + pathSegment(deployment.upstreamModel) + ":streamGenerateContent?alt=sse"
        case .cog: "/predictions"
        }
    }

    /// The URL of the Cog prediction `id` of `deployment` (`PUT` creates it), and of its cancel.
    static func cogPredictionURL(for deployment: Deployment, id: String, cancel: Bool = false) -> String {
        url(deployment.provider, cogPredictionPath(id: id, cancel: cancel))
    }

    /// The path of the Cog prediction `id`, and of its cancel, after the base URL.
    static func cogPredictionPath(id: String, cancel: Bool = false) -> String {
        "/predictions/" + pathSegment(id) + (cancel ? "/cancel" : "")
    }

    /// A fresh prediction id: 26 lowercase base-32 characters from 128 random bits, as Cog's documentation
    /// recommends, so that ids of many routers never meet on one Cog server.
    static func newPredictionID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".unicodeScalars)
        var high = UInt64.random(in: .min ... .max)
        var low = UInt64.random(in: .min ... .max)
        var id = String.UnicodeScalarView()
        for _ in 0..<26 {
            id.append(alphabet[Int(low & 31)])
            low = (low >> 5) | ((high & 31) << 59)
            high >>= 5
        }
        return String(id)
    }

    /// The request's headers: content type, the provider's authentication, `passedOn` (headers of the client's
    /// own dialect, such as `anthropic-beta`, when the provider speaks it), then the provider's configured headers.
    static func headers(for provider: Provider, passedOn: [(name: String, value: String)] = []) -> [(name: String, value: String)] {
        let accept = provider.streams ? "text/event-stream" : "application/json"
        var headers: [(name: String, value: String)] = [("content-type", "application/json"), ("accept", accept)]
        headers.reserveCapacity(4 + passedOn.count + provider.headers.count)
        let key = provider.apiKey.flatMap { $0.isEmpty ? nil : $0 }
        switch provider.dialect {
        case .openai, .openaiResponses:
            if let key { headers.append(("authorization", "Bearer \(key)")) }
        case .anthropic:
            if let key { headers.append(("x-api-key", key)) }
            if !passedOn.contains(where: { $0.name == "anthropic-version" }) {
                headers.append(("anthropic-version", anthropicVersion))
            }
        case .gemini:
            if let key { headers.append(("x-goog-api-key", key)) }
        case .cog:
            if let key { headers.append(("authorization", "Bearer \(key)")) }
        }
        headers += passedOn
        headers += provider.headers
        return headers
    }

    /// A model id as one URL path segment: characters outside RFC 3986's unreserved set percent-encoded, so an id
    /// cannot change the path or add a query.
    static func pathSegment(_ text: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return encoded
    }
}
