import Foundation
import NIOCore
@testable import ProviderSim
import Testing

/// The OpenAI dialect's options beyond a plain answer, over real sockets on 127.0.0.1.
@Suite("OpenAI options", .timeLimit(.minutes(5)))
struct OpenAIOptionsTests {
    static func chat(_ extra: String, stream: Bool = true) -> String {
        #"{"model":"gpt-sim","stream":\#(stream),"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]\#(extra)}"#
    }

    static func chunks(_ body: String) -> [[String: Any]] {
        Dialects.events(body).filter { $0.data != "[DONE]" }.compactMap(\.json)
    }

    static func choice(_ chunk: [String: Any]) -> [String: Any]? { (chunk["choices"] as? [[String: Any]])?.first }

    @Test("n 2: role, content and finish chunks for choices 0 and 1; a non-streamed answer has two choices")
    func choices() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai)) { _, client, base in
            let body = try await Dialects.post(client, base + "/v1/chat/completions", Self.chat(#","n":2"#)).body
            #expect(body.hasSuffix("data: [DONE]\n\n"))
            let chunks = Self.chunks(body)
            for index in [0, 1] {
                let mine = chunks.compactMap(Self.choice).filter { $0["index"] as? Int == index }
                let text = mine.compactMap { Dialects.dict($0, "delta")?["content"] as? String }.joined()
                #expect(text == "The quick brown fox")
                #expect(mine.last?["finish_reason"] as? String == "stop")
            }
            #expect(Dialects.dict(chunks.last, "usage")?["completion_tokens"] as? Int == 8)
            let whole = try Dialects.object(try await Dialects.post(client, base + "/v1/chat/completions", Self.chat(#","n":2"#, stream: false)).body)
            let choices = try #require(whole["choices"] as? [[String: Any]])
            #expect(choices.compactMap { $0["index"] as? Int } == [0, 1])
            #expect(choices.allSatisfy { Dialects.dict($0, "message")?["content"] as? String == "The quick brown fox" })
        }
    }

    @Test("logprobs true: every content chunk has logprobs.content [{token, logprob, bytes, top_logprobs}]")
    func logprobs() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai)) { _, client, base in
            let chunks = Self.chunks(try await Dialects.post(client, base + "/v1/chat/completions", Self.chat(#","logprobs":true"#)).body)
            let content = chunks.compactMap(Self.choice).filter { Dialects.dict($0, "delta")?["content"] as? String != nil && Dialects.dict($0, "delta")?["role"] == nil }
            #expect(content.count == 4)
            for chunk in content {
                let entry = try #require((Dialects.dict(chunk, "logprobs")?["content"] as? [[String: Any]])?.first)
                let token = try #require(entry["token"] as? String)
                #expect(token == Dialects.dict(chunk, "delta")?["content"] as? String)
                #expect((entry["logprob"] as? Double).map { $0 <= 0 } == true)
                #expect(entry["bytes"] as? [Int] == token.utf8.map(Int.init))
                #expect((entry["top_logprobs"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test("reasoning_effort: reasoning_content deltas before the content, reasoning_tokens in usage")
    func reasoning() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai)) { _, client, base in
            let chunks = Self.chunks(try await Dialects.post(client, base + "/v1/chat/completions", Self.chat(#","reasoning_effort":"low""#)).body)
            let kinds = chunks.compactMap(Self.choice).compactMap { choice -> String? in
                let delta = Dialects.dict(choice, "delta")
                if delta?["reasoning_content"] != nil { return "reasoning" }
                if delta?["role"] == nil, delta?["content"] != nil { return "content" }
                return nil
            }
            #expect(kinds == ["reasoning", "reasoning", "reasoning", "content", "content", "content", "content"])
            let usage = try #require(Dialects.dict(chunks.last, "usage"))
            #expect(Dialects.dict(usage, "completion_tokens_details")?["reasoning_tokens"] as? Int == 3)
            #expect(usage["completion_tokens"] as? Int == 7)
        }
    }

    @Test("tools with tool_choice required: streamed tool_calls (id and name, then argument fragments), finish_reason tool_calls; auto answers text")
    func toolCalls() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai)) { _, client, base in
            let tools = #","tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]"#
            let chunks = Self.chunks(try await Dialects.post(client, base + "/v1/chat/completions", Self.chat(tools + #","tool_choice":"required""#)).body)
            let calls = chunks.compactMap(Self.choice).compactMap { (Dialects.dict($0, "delta")?["tool_calls"] as? [[String: Any]])?.first }
            #expect(calls.first?["id"] as? String != nil)
            #expect(Dialects.dict(calls.first, "function")?["name"] as? String == "get_weather")
            let arguments = calls.compactMap { Dialects.dict($0, "function")?["arguments"] as? String }
            #expect(arguments.count > 2)
            #expect(try Dialects.object(arguments.joined())["city"] as? String == "Paris")
            #expect(chunks.compactMap(Self.choice).last?["finish_reason"] as? String == "tool_calls")

            let named = tools + #","tool_choice":{"type":"function","function":{"name":"get_weather"}}"#
            let whole = try Dialects.object(try await Dialects.post(client, base + "/v1/chat/completions", Self.chat(named, stream: false)).body)
            let message = try #require(Dialects.dict(Self.choice(whole), "message"))
            #expect(message["content"] is NSNull)
            let call = try #require((message["tool_calls"] as? [[String: Any]])?.first)
            #expect(try Dialects.object(Dialects.dict(call, "function")?["arguments"] as? String ?? "")["unit"] as? String == "celsius")
            #expect(Self.choice(whole)?["finish_reason"] as? String == "tool_calls")

            let auto = try Dialects.object(try await Dialects.post(client, base + "/v1/chat/completions", Self.chat(tools + #","tool_choice":"auto""#, stream: false)).body)
            #expect(Dialects.dict(Self.choice(auto), "message")?["content"] as? String == "The quick brown fox")
        }
    }

    @Test("stream_error_after_tokens: HTTP 200, two content chunks, then a data frame {error} and the end without [DONE]")
    func inStreamError() async throws {
        var settings = Dialects.fast(.openai)
        settings.streamErrorAfterTokens = 2
        try await SimulatorTests.withSim(settings) { sim, client, base in
            let (status, _, body) = try await Dialects.post(client, base + "/v1/chat/completions", SimulatorTests.chat)
            #expect(status == 200)
            #expect(!body.contains("[DONE]"))
            let chunks = Self.chunks(body)
            #expect(chunks.count == 4)
            #expect(Dialects.dict(chunks.last, "error")?["type"] as? String == "server_error")
            #expect(await sim.waitForStats { $0.failed == 1 }.failed == 1)
        }
    }

    @Test("POST /_sim/config cached_prompt_tokens: prompt_tokens_details.cached_tokens in usage, streamed and not")
    func cached() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai)) { _, client, base in
            #expect(try await Dialects.post(client, base + "/_sim/config", #"{"cached_prompt_tokens":4,"prompt_tokens":9}"#).status == 200)
            let chunks = Self.chunks(try await Dialects.post(client, base + "/v1/chat/completions", SimulatorTests.chat).body)
            let usage = try #require(Dialects.dict(chunks.last, "usage"))
            #expect(Dialects.dict(usage, "prompt_tokens_details")?["cached_tokens"] as? Int == 4)
            #expect(usage["prompt_tokens"] as? Int == 9)
            let whole = try Dialects.object(try await Dialects.post(client, base + "/v1/chat/completions", Self.chat("", stream: false)).body)
            #expect(Dialects.dict(Dialects.dict(whole, "usage"), "prompt_tokens_details")?["cached_tokens"] as? Int == 4)
        }
    }

    @Test("the Anthropic and Gemini endpoints are 404 in the OpenAI dialect")
    func routes() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai)) { sim, client, base in
            let first = try await Dialects.post(client, base + "/v1/messages", AnthropicDialectTests.plain).status
            #expect(first == 404)
            #expect(try await Dialects.post(client, base + GeminiDialectTests.sse, GeminiDialectTests.body).status == 404)
            #expect(sim.stats.received == 0)
        }
    }
}

/// The new settings through `apply(json:)`, and the schedule's in-stream error.
@Suite("Dialect settings", .timeLimit(.minutes(5)))
struct DialectSettingsTests {
    @Test("dialect, stream_error_after_tokens, cached_prompt_tokens and thinking_tokens apply, show in json, and refuse wrong values")
    func apply() throws {
        var settings = SimulatorSettings()
        #expect(settings.dialect == .openai)
        try settings.apply(json: ["dialect": "gemini", "stream_error_after_tokens": NSNumber(value: 3), "cached_prompt_tokens": NSNumber(value: 7), "thinking_tokens": NSNumber(value: 2)])
        #expect(settings.dialect == .gemini)
        #expect(settings.streamErrorAfterTokens == 3)
        #expect(settings.cachedPromptTokens == 7)
        #expect(settings.thinkingTokens == 2)
        #expect(settings.json["dialect"] as? String == "gemini")
        try settings.apply(json: ["stream_error_after_tokens": NSNull()])
        #expect(settings.streamErrorAfterTokens == nil)
        #expect(throws: SimulatorError.self) { try settings.apply(json: ["dialect": "cohere"]) }
        #expect(throws: SimulatorError.self) { try settings.apply(json: ["cached_prompt_tokens": NSNumber(value: -1)]) }
        #expect(SimulatorSettings(dialect: .anthropic).dialect == .anthropic)
    }

    @Test("the schedule fails in place of token stream_error_after_tokens; a cut before it wins, one after it never comes")
    func scheduleFail() {
        let start = NIODeadlineHelper.start
        var failing = StreamSchedule(start: start, ttft: .zero, gap: .zero, tokens: 5, cutAfterTokens: nil, failAfterTokens: 2)
        #expect(failing.advance(to: start) == .init(tokens: 0..<2, then: .fail))
        var cutFirst = StreamSchedule(start: start, ttft: .zero, gap: .zero, tokens: 5, cutAfterTokens: 1, failAfterTokens: 2)
        #expect(cutFirst.advance(to: start) == .init(tokens: 0..<1, then: .cut))
        var failFirst = StreamSchedule(start: start, ttft: .zero, gap: .zero, tokens: 5, cutAfterTokens: 4, failAfterTokens: 2)
        #expect(failFirst.advance(to: start) == .init(tokens: 0..<2, then: .fail))
        var past = StreamSchedule(start: start, ttft: .zero, gap: .zero, tokens: 5, cutAfterTokens: nil, failAfterTokens: 5)
        #expect(past.advance(to: start) == .init(tokens: 0..<5, then: .finish))
    }
}

enum NIODeadlineHelper {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
}
