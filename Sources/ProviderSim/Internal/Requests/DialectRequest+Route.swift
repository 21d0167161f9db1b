import NIOCore
import NIOHTTP1

/// Reading a request on a provider endpoint, and checking its key, in the endpoint's dialect.
extension DialectRequest {
    /// Why a request on a provider endpoint is not read.
    enum Refusal: Error {
        /// Not an endpoint of any dialect's chat.
        case notFound
        /// The body is not a request of the dialect: 400, with the dialect's message when it has one.
        case invalid(String?)

        /// The answer, in `dialect`'s error shape.
        func response(in dialect: SimulatorDialect) -> SimpleResponse {
            switch self {
            case .notFound: .notFound
            case .invalid(let message?): dialect.errorResponse(400, message)
            case .invalid(nil): .error(400, "invalid request body")
            }
        }
    }

    /// The request `body` holds for `route` (whose dialect the caller has checked is the simulator's).
    static func read(route: SimulatorRoute, head: HTTPRequestHead, body: ByteBuffer) -> Result<DialectRequest, Refusal> {
        switch route {
        case .chat:
            guard let chat = ChatRequest(body: body) else { return .failure(.invalid(nil)) }
            return .success(
                DialectRequest(model: chat.model, stream: chat.stream, includeUsage: chat.includeUsage, options: chat.options))
        case .responses:
            return read(body, ResponsesRequestReader.read).mapError { .invalid($0.message) }
        case .messages:
            return read(body, AnthropicRequestReader.read).mapError { .invalid($0.message) }
        case .generateContent(let model, let stream):
            let sse = SimulatorRoute.query("alt", in: head.uri) == "sse"
            return read(body, { GeminiRequestReader.read($0, model: model, stream: stream, sse: sse) }).mapError { .invalid($0.message) }
        default:
            return .failure(.notFound)
        }
    }

    /// Whether the request carries `key` where the dialect's clients send it.
    static func authorized(_ head: HTTPRequestHead, dialect: SimulatorDialect, key: String) -> Bool {
        switch dialect {
        case .openai: head.headers.first(name: "authorization") == "Bearer \(key)"
        case .anthropic: head.headers.first(name: "x-api-key") == key
        case .gemini:
            head.headers.first(name: "x-goog-api-key") == key || SimulatorRoute.query("key", in: head.uri) == key
        }
    }
}
