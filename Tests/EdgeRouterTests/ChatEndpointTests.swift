@testable import EdgeRouter
import HTTPTypes
import RoutingCore
import Testing

/// Which request heads are chat requests of which dialect, and where each dialect's key is read.
@Suite("Chat endpoints of the three dialects", .timeLimit(.minutes(1)))
struct ChatEndpointTests {
    static func head(_ path: String, method: HTTPRequest.Method = .post) -> HTTPRequest {
        HTTPRequest(method: method, scheme: nil, authority: nil, path: path)
    }

    @Test("OpenAI's and Anthropic's paths, with a query or empty segments, name their endpoints; other methods and paths none")
    func openAIAndAnthropicPaths() {
        #expect(ChatEndpoint(Self.head("/v1/chat/completions")) == .openAI)
        #expect(ChatEndpoint(Self.head("/v1/chat/completions/?x=1")) == .openAI)
        #expect(ChatEndpoint(Self.head("/v1/messages")) == .anthropic)
        #expect(ChatEndpoint(Self.head("//v1/messages/")) == .anthropic)
        #expect(ChatEndpoint(Self.head("/v1/messages", method: .get)) == nil)
        #expect(ChatEndpoint(Self.head("/v1/messages/count_tokens")) == nil)
        #expect(ChatEndpoint(Self.head("/v1/models")) == nil)
    }

    @Test("Gemini's paths give the model (percent-decoded, slashes kept for provider/model), streaming and SSE framing")
    func geminiPaths() {
        #expect(ChatEndpoint(Self.head("/v1beta/models/demo:generateContent")) == .gemini(model: "demo", stream: false, sse: false))
        #expect(ChatEndpoint(Self.head("/v1beta/models/demo:streamGenerateContent")) == .gemini(model: "demo", stream: true, sse: false))
        #expect(
            ChatEndpoint(Self.head("/v1beta/models/demo:streamGenerateContent?key=k&alt=sse"))
                == .gemini(model: "demo", stream: true, sse: true))
        #expect(ChatEndpoint(Self.head("/v1beta/models/sim-fast/fast-large:generateContent")) == .gemini(model: "sim-fast/fast-large", stream: false, sse: false))
        #expect(ChatEndpoint(Self.head("/v1beta/models/gemini%2D2.5:generateContent")) == .gemini(model: "gemini-2.5", stream: false, sse: false))
        #expect(ChatEndpoint(Self.head("/v1beta/models/demo:countTokens")) == nil)
        #expect(ChatEndpoint(Self.head("/v1beta/models/%ZZ:generateContent")) == nil)
        #expect(ChatEndpoint(Self.head("/v1beta/models/:generateContent")) == nil)
        #expect(ChatEndpoint(Self.head("/v1beta/models/demo:generateContent", method: .get)) == nil)
    }

    @Test("the gateway key is read from Authorization, x-api-key, x-goog-api-key or Gemini's ?key=, in that order")
    func keyPlaces() {
        #expect(AuthMiddleware.presentedSecret([.authorization: "Bearer a"]) == "a")
        #expect(AuthMiddleware.presentedSecret([.xAPIKey: "b"]) == "b")
        #expect(AuthMiddleware.presentedSecret([.googAPIKey: "c"]) == "c")
        #expect(AuthMiddleware.presentedSecret([:], path: "/v1beta/models/m:generateContent?alt=sse&key=d%2De") == "d-e")
        #expect(AuthMiddleware.presentedSecret([:], path: "/v1beta/models/m:generateContent?alt=sse") == nil)
        #expect(AuthMiddleware.presentedSecret([.authorization: "Bearer a", .googAPIKey: "c"]) == "a")
    }

    @Test("Authorization's scheme is 'Bearer ' in any case, spaces before the key skipped; anything else presents no key")
    func bearerScheme() {
        #expect(AuthMiddleware.presentedSecret([.authorization: "bearer k-1"]) == "k-1")
        #expect(AuthMiddleware.presentedSecret([.authorization: "BEARER k-1"]) == "k-1")
        #expect(AuthMiddleware.presentedSecret([.authorization: "BeArEr    k-1"]) == "k-1")
        #expect(AuthMiddleware.presentedSecret([.authorization: "Bearer clé"]) == "clé")
        #expect(AuthMiddleware.presentedSecret([.authorization: "Bearer "]) == nil)
        #expect(AuthMiddleware.presentedSecret([.authorization: "Bearer    "]) == nil)
        #expect(AuthMiddleware.presentedSecret([.authorization: "Bearer"]) == nil)
        #expect(AuthMiddleware.presentedSecret([.authorization: "Bearer\tk-1"]) == nil)
        #expect(AuthMiddleware.presentedSecret([.authorization: "Basic k-1"]) == nil)
        #expect(AuthMiddleware.presentedSecret([.authorization: "Bearerk-1"]) == nil)
        // An Authorization that presents no bearer key is not passed over for another header's key.
        #expect(AuthMiddleware.presentedSecret([.authorization: "Basic k-1", .xAPIKey: "b"]) == nil)
    }
}

@Suite("Chat endpoint: the Responses API", .timeLimit(.minutes(1)))
struct ResponsesEndpointTests {
    @Test("POST /v1/responses (with a query or doubled slashes) is the Responses endpoint; GET and DELETE are not answered on the event loop")
    func responsesPath() {
        for path in ["/v1/responses", "/v1/responses?x=1", "//v1//responses/"] {
            #expect(ChatEndpoint(HTTPRequest(method: .post, scheme: nil, authority: nil, path: path)) == .responses, "\(path)")
        }
        #expect(ChatEndpoint(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/v1/responses/resp_1")) == nil)
        #expect(ChatEndpoint(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/responses/resp_1")) == nil)
        #expect(ChatEndpoint.responses.dialect == .openai && ChatEndpoint.responses.passThroughDialect == nil)
        #expect(ChatEndpoint.responses.recordedDialect == "responses" && ChatEndpoint.openAI.recordedDialect == "openai")
    }
}
