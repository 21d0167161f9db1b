import HTTPTypes
import RoutingCore

/// A chat endpoint of one of the three dialects, as a request head names it. The router answers these on the
/// connection's event loop (``ChatCompletionsHandler``); every other request goes to Hummingbird.
enum ChatEndpoint: Sendable, Equatable {
    /// `POST /v1/chat/completions`.
    case openAI
    /// `POST /v1/messages`.
    case anthropic
    /// `POST /v1beta/models/{model}:generateContent` (`stream` false) or `:streamGenerateContent` (`stream` true;
    /// server-sent events with `?alt=sse`, else one JSON array written as it grows).
    case gemini(model: String, stream: Bool, sse: Bool)
    /// `POST /v1/responses`: OpenAI's Responses API, answered through the neutral form by every provider dialect.
    case responses

    /// The client's dialect, for its errors (the Responses API's are OpenAI's) and the provider of its own dialect.
    var dialect: Dialect {
        switch self {
        case .openAI, .responses: .openai
        case .anthropic: .anthropic
        case .gemini: .gemini
        }
    }

    /// The dialect a provider must speak for the client's body to be passed on as it came; nil when every
    /// provider's body is made at admission (the Responses API: an `openai-responses` provider gets the client's
    /// body spliced by ``ResponsesPassThrough``, every other one a translation).
    var passThroughDialect: Dialect? {
        self == .responses ? nil : dialect
    }

    /// Whether a provider of `providerDialect` answers in the client's own wire format, so that its frames go out
    /// as it sent them: the client's dialect, or for the Responses API a provider that speaks it natively
    /// (`openai-responses`), whose events are rewritten only where the router's ids and numbering must show.
    func passesThrough(from providerDialect: Dialect) -> Bool {
        self == .responses ? providerDialect == .openaiResponses : providerDialect == dialect
    }

    /// The client's dialect as the request log records it.
    var recordedDialect: String {
        self == .responses ? "responses" : dialect.rawValue
    }

    /// The endpoint `head` names, or nil for any other request. Empty path segments (a trailing slash, doubled
    /// slashes) are ignored, as Hummingbird's router ignores them for every other route.
    init?(_ head: HTTPRequest) {
        guard head.method == .post, let path = head.path else { return nil }
        let query = path.utf8.firstIndex(of: UInt8(ascii: "?"))
        let target = query.map { path[..<$0] } ?? path[...]
        if target == "/v1/chat/completions" {
            self = .openAI
            return
        }
        if target == "/v1/messages" {
            self = .anthropic
            return
        }
        if target == "/v1/responses" {
            self = .responses
            return
        }
        let segments = target.split(separator: "/", omittingEmptySubsequences: true)
        if segments.elementsEqual(["v1", "chat", "completions"]) {
            self = .openAI
        } else if segments.elementsEqual(["v1", "messages"]) {
            self = .anthropic
        } else if segments.elementsEqual(["v1", "responses"]) {
            self = .responses
        } else if segments.count >= 3, segments[0] == "v1beta", segments[1] == "models",
            let colon = segments.last?.lastIndex(of: ":")
        {
            // `provider/model` names have a slash: every segment after `models/` is the model's name.
            let method = segments[segments.count - 1][colon...].dropFirst()
            let stream: Bool
            switch method {
            case "generateContent": stream = false
            case "streamGenerateContent": stream = true
            default: return nil
            }
            let last = segments[segments.count - 1][..<colon]
            let name = (segments[2..<(segments.count - 1)].map(String.init) + [String(last)]).joined(separator: "/")
            guard let model = Self.percentDecoded(name), !model.isEmpty else { return nil }
            let sse = query.map { Self.queryValue(path[path.index(after: $0)...], named: "alt") == "sse" } ?? false
            self = .gemini(model: model, stream: stream, sse: sse)
        } else {
            return nil
        }
    }

    /// The value of a query parameter (the first, percent-decoded), or nil.
    static func queryValue(_ query: Substring, named name: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first.map(String.init) == name else { continue }
            return parts.count == 2 ? percentDecoded(String(parts[1]).replacingPlus()) : ""
        }
        return nil
    }

    /// `text` with `%XX` escapes decoded; nil when an escape is broken or the result is not UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Hex.value(of:)), let low = iterator.next().flatMap(Hex.value(of:)) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension String {
    /// `+` as a space, as form-encoded query values write it.
    fileprivate func replacingPlus() -> String {
        String(unicodeScalars.map { $0 == "+" ? " " : $0 }.map(Character.init))
    }
}
