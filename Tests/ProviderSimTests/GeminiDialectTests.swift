import Foundation
@testable import ProviderSim
import Testing

/// The simulator speaking Google Gemini over real sockets on 127.0.0.1.
@Suite("Gemini dialect", .timeLimit(.minutes(5)))
struct GeminiDialectTests {
    static let body = #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#
    static let sse = "/v1beta/models/gemini-sim:streamGenerateContent?alt=sse"

    static func candidates(_ frame: [String: Any]?) -> [[String: Any]] { frame?["candidates"] as? [[String: Any]] ?? [] }

    static func parts(_ frame: [String: Any]?, candidate: Int = 0) -> [[String: Any]] {
        let candidates = candidates(frame)
        guard candidate < candidates.count else { return [] }
        return Dialects.dict(candidates[candidate], "content")?["parts"] as? [[String: Any]] ?? []
    }

    @Test("alt=sse: one GenerateContentResponse per data frame ending in CRLF CRLF, no [DONE], STOP and full usage on the last")
    func sseStream() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.gemini)) { sim, client, base in
            let (status, headers, body) = try await Dialects.post(client, base + Self.sse, Self.body)
            #expect(status == 200)
            #expect(headers.first(name: "content-type") == "text/event-stream")
            #expect(body.hasSuffix("\r\n\r\n"))
            #expect(!body.contains("[DONE]"))
            let frames = Dialects.events(body, separator: "\r\n\r\n").map(\.json)
            #expect(frames.count == 4)
            #expect(frames.allSatisfy { $0 != nil })
            let text = frames.flatMap { Self.parts($0) }.compactMap { $0["text"] as? String }.joined()
            #expect(text == "The quick brown fox")
            for frame in frames {
                #expect(frame?["modelVersion"] as? String == "gemini-sim")
                #expect(frame?["responseId"] is String)
                #expect(Dialects.dict(Self.candidates(frame).first, "content")?["role"] as? String == "model")
                #expect(Self.candidates(frame).first?["index"] as? Int == 0)
            }
            #expect(frames.dropLast().allSatisfy { Self.candidates($0).first?["finishReason"] == nil })
            let last = frames.last ?? nil
            #expect(Self.candidates(last).first?["finishReason"] as? String == "STOP")
            let usage = try #require(last?["usageMetadata"] as? [String: Any])
            #expect(usage["candidatesTokenCount"] as? Int == 4)
            let prompt = try #require(usage["promptTokenCount"] as? Int)
            #expect(usage["totalTokenCount"] as? Int == prompt + 4)
            #expect(usage["cachedContentTokenCount"] == nil)
            #expect(sim.stats.completed == 1)
        }
    }

    @Test("without alt=sse the stream is one JSON array of GenerateContentResponses")
    func arrayStream() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.gemini)) { _, client, base in
            let (status, headers, body) = try await Dialects.post(
                client, base + "/v1beta/models/gemini-sim:streamGenerateContent", Self.body)
            #expect(status == 200)
            #expect(headers.first(name: "content-type") == "application/json")
            #expect(body.hasPrefix("[{"))
            #expect(body.contains("},\r\n{"))
            let array = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
            #expect(array.count == 4)
            #expect(Self.candidates(array.last).first?["finishReason"] as? String == "STOP")
        }
    }

    @Test("generateContent answers one GenerateContentResponse with the whole text, STOP and usage")
    func whole() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.gemini)) { _, client, base in
            let (status, _, text) = try await Dialects.post(client, base + "/v1beta/models/gemini-sim:generateContent", Self.body)
            #expect(status == 200)
            let response = try Dialects.object(text)
            #expect(Self.parts(response).first?["text"] as? String == "The quick brown fox")
            #expect(Self.candidates(response).first?["finishReason"] as? String == "STOP")
            #expect(Dialects.dict(response, "usageMetadata")?["candidatesTokenCount"] as? Int == 4)
            #expect(response["modelVersion"] as? String == "gemini-sim")
        }
    }

    @Test("required_api_key: x-goog-api-key or ?key= is answered; none or a wrong one is 401 UNAUTHENTICATED; no contents is 400 INVALID_ARGUMENT")
    func auth() async throws {
        var settings = Dialects.fast(.gemini)
        settings.requiredAPIKey = "AIza-sim"
        try await SimulatorTests.withSim(settings) { _, client, base in
            let path = base + "/v1beta/models/gemini-sim:generateContent"
            for (url, headers) in [(path, []), (path, [("x-goog-api-key", "wrong")]), (path + "?key=wrong", [])] {
                let (status, _, text) = try await Dialects.post(client, url, Self.body, headers: headers)
                #expect(status == 401)
                let error = try #require(try Dialects.object(text)["error"] as? [String: Any])
                #expect(error["code"] as? Int == 401)
                #expect(error["status"] as? String == "UNAUTHENTICATED")
                #expect(error["message"] is String)
            }
            #expect(try await Dialects.post(client, path, Self.body, headers: [("x-goog-api-key", "AIza-sim")]).status == 200)
            #expect(try await Dialects.post(client, path + "?key=AIza-sim", Self.body).status == 200)
            let (status, _, text) = try await Dialects.post(client, path + "?key=AIza-sim", #"{"model":"x"}"#)
            #expect(status == 400)
            #expect(Dialects.dict(try Dialects.object(text), "error")?["status"] as? String == "INVALID_ARGUMENT")
        }
    }

    @Test("error_rate 1 with 429 answers RESOURCE_EXHAUSTED with retry-after, 503 answers UNAVAILABLE")
    func httpErrors() async throws {
        var settings = Dialects.fast(.gemini)
        settings.errorRate = 1
        settings.errorStatus = 429
        settings.retryAfterSeconds = 7
        try await SimulatorTests.withSim(settings) { sim, client, base in
            let (status, headers, text) = try await Dialects.post(client, base + Self.sse, Self.body)
            #expect(status == 429)
            #expect(headers.first(name: "retry-after") == "7")
            let error = try #require(Dialects.dict(try Dialects.object(text), "error"))
            #expect(error["status"] as? String == "RESOURCE_EXHAUSTED")
            #expect(error["code"] as? Int == 429)
            #expect(try await Dialects.post(client, base + "/_sim/config", #"{"error_status":503}"#).status == 200)
            let (unavailable, _, body) = try await Dialects.post(client, base + Self.sse, Self.body)
            #expect(unavailable == 503)
            #expect(Dialects.dict(try Dialects.object(body), "error")?["status"] as? String == "UNAVAILABLE")
            #expect(sim.stats.failed == 2)
        }
    }

    @Test("stream_error_after_tokens: HTTP 200, two text frames, then a data frame {error: 503 UNAVAILABLE} and the end")
    func inStreamError() async throws {
        var settings = Dialects.fast(.gemini)
        settings.streamErrorAfterTokens = 2
        try await SimulatorTests.withSim(settings) { sim, client, base in
            let (status, _, body) = try await Dialects.post(client, base + Self.sse, Self.body)
            #expect(status == 200)
            let frames = Dialects.events(body, separator: "\r\n\r\n").map(\.json)
            #expect(frames.count == 3)
            let error = try #require(Dialects.dict(frames.last ?? nil, "error"))
            #expect(error["code"] as? Int == 503)
            #expect(error["status"] as? String == "UNAVAILABLE")
            #expect(await sim.waitForStats { $0.failed == 1 }.failed == 1)
            let array = try await Dialects.post(client, base + "/v1beta/models/m:streamGenerateContent", Self.body).body
            let elements = try #require(try JSONSerialization.jsonObject(with: Data(array.utf8)) as? [[String: Any]])
            #expect(elements.count == 3)
            #expect(elements.last?["error"] != nil)
        }
    }

    @Test("includeThoughts: thought parts first, then text, and thoughtsTokenCount in usage")
    func thinking() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.gemini)) { _, client, base in
            let body = #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":512}}}"#
            let frames = Dialects.events(try await Dialects.post(client, base + Self.sse, body).body, separator: "\r\n\r\n").map(\.json)
            let parts = frames.flatMap { Self.parts($0) }
            #expect(parts.map { $0["thought"] as? Bool == true } == [true, true, true, false, false, false, false])
            let usage = try #require((frames.last ?? nil)?["usageMetadata"] as? [String: Any])
            #expect(usage["thoughtsTokenCount"] as? Int == 3)
            #expect(usage["candidatesTokenCount"] as? Int == 4)
            let whole = try Dialects.object(try await Dialects.post(client, base + "/v1beta/models/m:generateContent", body).body)
            #expect(Self.parts(whole).first?["thought"] as? Bool == true)
        }
    }

    @Test("toolConfig mode ANY with functionDeclarations: one functionCall part {name, args} in one frame")
    func functionCall() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.gemini)) { _, client, base in
            let body = #"{"contents":[{"role":"user","parts":[{"text":"weather?"}]}],"tools":[{"functionDeclarations":[{"name":"get_weather"},{"name":"get_time"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_time"]}}}"#
            let frames = Dialects.events(try await Dialects.post(client, base + Self.sse, body).body, separator: "\r\n\r\n").map(\.json)
            #expect(frames.count == 1)
            let call = try #require(Self.parts(frames.first ?? nil).first?["functionCall"] as? [String: Any])
            #expect(call["name"] as? String == "get_time")
            #expect(Dialects.dict(call, "args")?["city"] as? String == "Paris")
            #expect(Self.candidates(frames.first ?? nil).first?["finishReason"] as? String == "STOP")
            let auto = #"{"contents":[],"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}}"#
            let whole = try Dialects.object(try await Dialects.post(client, base + "/v1beta/models/m:generateContent", auto).body)
            #expect(Self.parts(whole).first?["text"] is String)
        }
    }

    @Test("candidateCount 3: every frame has candidates with index 0, 1 and 2")
    func candidates() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.gemini)) { _, client, base in
            let body = #"{"contents":[],"generationConfig":{"candidateCount":3}}"#
            let frames = Dialects.events(try await Dialects.post(client, base + Self.sse, body).body, separator: "\r\n\r\n").map(\.json)
            #expect(frames.count == 4)
            for frame in frames { #expect(Self.candidates(frame).compactMap { $0["index"] as? Int } == [0, 1, 2]) }
            let whole = try Dialects.object(try await Dialects.post(client, base + "/v1beta/models/m:generateContent", body).body)
            #expect(Self.candidates(whole).count == 3)
            #expect(Self.parts(whole, candidate: 2).first?["text"] as? String == "The quick brown fox")
        }
    }

    @Test("POST /_sim/config applies: cached_prompt_tokens is cachedContentTokenCount, prompt_tokens, answer_tokens; maxOutputTokens gives MAX_TOKENS")
    func config() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.gemini)) { _, client, base in
            #expect(try await Dialects.post(
                client, base + "/_sim/config", #"{"cached_prompt_tokens":5,"prompt_tokens":20,"answer_tokens":6}"#).status == 200)
            let frames = Dialects.events(try await Dialects.post(client, base + Self.sse, Self.body).body, separator: "\r\n\r\n").map(\.json)
            #expect(frames.count == 6)
            let usage = try #require((frames.last ?? nil)?["usageMetadata"] as? [String: Any])
            #expect(usage["cachedContentTokenCount"] as? Int == 5)
            #expect(usage["promptTokenCount"] as? Int == 20)
            #expect(usage["totalTokenCount"] as? Int == 26)
            let limited = #"{"contents":[],"generationConfig":{"maxOutputTokens":2}}"#
            let whole = try Dialects.object(try await Dialects.post(client, base + "/v1beta/models/m:generateContent", limited).body)
            #expect(Self.candidates(whole).first?["finishReason"] as? String == "MAX_TOKENS")
            #expect(Self.parts(whole).first?["text"] as? String == "The quick")
        }
    }

    @Test("the dialect's endpoints only: OpenAI's and Anthropic's are 404, and an unknown method on a model too")
    func routes() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.gemini)) { sim, client, base in
            let first = try await Dialects.post(client, base + "/v1/chat/completions", SimulatorTests.chat).status
            #expect(first == 404)
            #expect(try await Dialects.post(client, base + "/v1/messages", AnthropicDialectTests.plain).status == 404)
            #expect(try await Dialects.post(client, base + "/v1beta/models/m:countTokens", Self.body).status == 404)
            #expect(sim.stats.received == 0)
        }
    }
}
