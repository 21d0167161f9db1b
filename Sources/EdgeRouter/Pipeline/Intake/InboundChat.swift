import EdgeWire
import HTTPTypes
import NIOCore
import RoutingCore

/// A client's chat request as the router holds it once checked: in the client's dialect, ready to be passed on
/// byte for byte to a deployment of that dialect, with the bodies for deployments of other dialects translated at
/// admission (so that a request no planned deployment can take is refused before any upstream work).
struct InboundChat: Sendable {
    /// The checked request in the client's dialect.
    enum Form: Sendable {
        case openAI(OpenAIChatRequest)
        case anthropic(AnthropicMessagesRequest)
        case gemini(GeminiGenerateRequest)
        /// A Responses API request: every provider's body is translated from its neutral form.
        case responses(ResponsesRequest)
    }

    let form: Form
    let endpoint: ChatEndpoint
    /// The model the client named.
    let model: String
    /// Whether the client asked for a stream.
    let stream: Bool
    /// Client headers that go on to providers of the client's own dialect (`anthropic-version`, `anthropic-beta`).
    let passedOn: [(name: String, value: String)]
    /// Bodies for the planned deployments of other dialects, by deployment key.
    var translated: [String: ByteBuffer] = [:]
    /// The neutral request when it is more than the body says (a Responses request with the conversation of its
    /// `previous_response_id` in front); nil to read it from the body.
    var neutral: ChatRequest?

    /// Checks `body` as `endpoint`'s dialect has it; errors name the field.
    init(endpoint: ChatEndpoint, body: some Collection<UInt8>, headers: HTTPFields) throws(WireError) {
        self.endpoint = endpoint
        switch endpoint {
        case .openAI:
            let request = try OpenAIChatRequest.parse(body)
            form = .openAI(request)
            model = request.model
            stream = request.stream
            passedOn = []
        case .anthropic:
            let request = try AnthropicMessagesRequest.parse(body)
            form = .anthropic(request)
            model = request.model
            stream = request.stream
            passedOn = Self.anthropicHeaders(headers)
        case .gemini(let name, let streams, _):
            let request = try GeminiGenerateRequest.parse(body, model: name, stream: streams)
            form = .gemini(request)
            model = name
            stream = streams
            passedOn = []
        case .responses:
            let request = try ResponsesRequestReader.read(body)
            form = .responses(request)
            model = request.chat.model
            stream = request.chat.stream
            passedOn = []
        }
    }

    /// The Responses API request, for a `POST /v1/responses`.
    var responses: ResponsesRequest? {
        if case .responses(let request) = form { return request }
        return nil
    }

    /// Whether the client asked for OpenAI's usage chunk.
    var includeUsage: Bool {
        if case .openAI(let request) = form { return request.includeUsage }
        return false
    }

    /// The whole request in neutral form, read from the client's `body`.
    static func neutral(_ endpoint: ChatEndpoint, body: some Collection<UInt8>) throws(WireError) -> ChatRequest {
        switch endpoint {
        case .openAI: try OpenAIRequestReader.read(body)
        case .anthropic: try AnthropicRequestReader.read(body)
        case .gemini(let model, let stream, _): try GeminiRequestReader.read(body, model: model, stream: stream)
        case .responses: try ResponsesRequestReader.read(body).chat
        }
    }

    /// The body for `deployment`: the client's own, with the deployment's model and streaming, when it speaks the
    /// client's dialect; else the translation made at admission.
    func upstreamBody(for deployment: Deployment) -> ByteBuffer {
        switch form {
        case .openAI(let request) where deployment.provider.dialect == .openai:
            return request.upstreamBody(model: deployment.upstreamModel)
        case .anthropic(let request) where deployment.provider.dialect == .anthropic:
            return request.upstreamBody(model: deployment.upstreamModel)
        case .gemini(let request) where deployment.provider.dialect == .gemini:
            return request.upstreamBody()
        default:
            // Admission translated the body for every planned deployment of another dialect.
            return translated[deployment.key] ?? ByteBuffer()
        }
    }

    /// The client headers for `deployment`: only a provider of the client's dialect understands them.
    func passedOn(to deployment: Deployment) -> [(name: String, value: String)] {
        deployment.provider.dialect == endpoint.passThroughDialect ? passedOn : []
    }

    private static func anthropicHeaders(_ headers: HTTPFields) -> [(name: String, value: String)] {
        var passed: [(name: String, value: String)] = []
        if let version = headers[.anthropicVersion] { passed.append(("anthropic-version", version)) }
        // Several `anthropic-beta` lines are one comma-separated list.
        let betas = headers[values: .anthropicBeta]
        if !betas.isEmpty { passed.append(("anthropic-beta", betas.joined(separator: ","))) }
        return passed
    }
}

extension HTTPField.Name {
    static let anthropicVersion = Self("anthropic-version")!
    static let anthropicBeta = Self("anthropic-beta")!
    static let googAPIKey = Self("x-goog-api-key")!
}
