import Foundation
@testable import ProviderSim
import Testing

/// The simulator speaking Anthropic Messages over real sockets on 127.0.0.1.
@Suite("Anthropic dialect", .timeLimit(.minutes(5)))
struct AnthropicDialectTests {
    static let plain = #"{"model":"claude-sim","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
    static let headers = [("x-api-key", "sk-ant"), ("anthropic-version", "2023-06-01")]

    @Test("a stream is message_start, ping, content_block_start/delta×4/stop, message_delta, message_stop, each data typed as its event")
    func stream() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.anthropic)) { sim, client, base in
            let (status, headers, body) = try await Dialects.post(client, base + "/v1/messages", Self.plain, headers: Self.headers)
            #expect(status == 200)
            #expect(headers.first(name: "content-type") == "text/event-stream")
            let events = Dialects.events(body)
            #expect(events.map(\.name) == [
                "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
            ])
            for event in events { #expect(event.json?["type"] as? String == event.name) }
            let message = try #require(events.first?.json?["message"] as? [String: Any])
            #expect((message["id"] as? String)?.hasPrefix("msg_") == true)
            #expect(message["model"] as? String == "claude-sim")
            let usage = try #require(message["usage"] as? [String: Any])
            #expect(usage["output_tokens"] as? Int == 1)
            #expect(usage["cache_creation_input_tokens"] as? Int == 0)
            #expect(usage["cache_read_input_tokens"] as? Int == 0)
            #expect(usage["input_tokens"] is Int)
            let text = events.compactMap { Dialects.dict($0.json, "delta")?["text"] as? String }.joined()
            #expect(text == "The quick brown fox")
            let delta = try #require(events[8].json)
            #expect(Dialects.dict(delta, "delta")?["stop_reason"] as? String == "end_turn")
            #expect(Dialects.dict(delta, "delta")?["stop_sequence"] is NSNull)
            #expect(Dialects.dict(delta, "usage")?["output_tokens"] as? Int == 4)
            #expect(sim.stats.completed == 1)
        }
    }

    @Test("a ping every five tokens in a long stream")
    func pings() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.anthropic, tokens: 12)) { _, client, base in
            let events = Dialects.events(try await Dialects.post(client, base + "/v1/messages", Self.plain).body)
            #expect(events.filter { $0.name == "ping" }.count == 3)
            #expect(events.last?.name == "message_stop")
        }
    }

    @Test("a non-streamed answer is one Message with id, model, content, stop_reason, stop_sequence and usage")
    func whole() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.anthropic)) { _, client, base in
            let body = #"{"model":"claude-sim","max_tokens":1024,"messages":[{"role":"user","content":"hi"}]}"#
            let (status, headers, text) = try await Dialects.post(client, base + "/v1/messages", body)
            #expect(status == 200)
            #expect(headers.first(name: "content-type") == "application/json")
            let message = try Dialects.object(text)
            #expect(message["type"] as? String == "message")
            #expect(message["role"] as? String == "assistant")
            #expect(message["model"] as? String == "claude-sim")
            #expect((message["id"] as? String)?.hasPrefix("msg_") == true)
            let content = try #require(message["content"] as? [[String: Any]])
            #expect(content.count == 1)
            #expect(content.first?["type"] as? String == "text")
            #expect(content.first?["text"] as? String == "The quick brown fox")
            #expect(message["stop_reason"] as? String == "end_turn")
            #expect(message["stop_sequence"] is NSNull)
            #expect(Dialects.dict(message, "usage")?["output_tokens"] as? Int == 4)
        }
    }

    @Test("a request without max_tokens is 400 invalid_request_error; one on /v1/chat/completions is 404")
    func refused() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.anthropic)) { sim, client, base in
            let (status, _, text) = try await Dialects.post(
                client, base + "/v1/messages", #"{"model":"m","messages":[]}"#)
            #expect(status == 400)
            let error = try Dialects.object(text)
            #expect(error["type"] as? String == "error")
            #expect(Dialects.dict(error, "error")?["type"] as? String == "invalid_request_error")
            #expect((Dialects.dict(error, "error")?["message"] as? String)?.contains("max_tokens") == true)
            #expect(try await Dialects.post(client, base + "/v1/chat/completions", SimulatorTests.chat).status == 404)
            #expect(sim.stats.received == 0)
        }
    }

    @Test("required_api_key: no or a wrong x-api-key is 401 authentication_error, the right one is answered")
    func auth() async throws {
        var settings = Dialects.fast(.anthropic)
        settings.requiredAPIKey = "sk-ant"
        try await SimulatorTests.withSim(settings) { sim, client, base in
            for headers in [[], [("x-api-key", "wrong")], [("authorization", "Bearer sk-ant")]] {
                let (status, _, text) = try await Dialects.post(client, base + "/v1/messages", Self.plain, headers: headers)
                #expect(status == 401)
                let error = try Dialects.object(text)
                #expect(error["type"] as? String == "error")
                #expect(Dialects.dict(error, "error")?["type"] as? String == "authentication_error")
            }
            #expect(try await Dialects.post(client, base + "/v1/messages", Self.plain, headers: Self.headers).status == 200)
            #expect(sim.stats.failed == 3)
            #expect(sim.stats.completed == 1)
        }
    }

    @Test("error_rate 1 with error_status 529 answers 529 overloaded_error (with retry-after) before any stream")
    func overloaded() async throws {
        var settings = Dialects.fast(.anthropic)
        settings.errorRate = 1
        settings.errorStatus = 529
        settings.retryAfterSeconds = 3
        try await SimulatorTests.withSim(settings) { sim, client, base in
            let (status, headers, text) = try await Dialects.post(client, base + "/v1/messages", Self.plain)
            #expect(status == 529)
            #expect(headers.first(name: "retry-after") == "3")
            #expect(Dialects.dict(try Dialects.object(text), "error")?["type"] as? String == "overloaded_error")
            #expect(sim.stats.failed == 1)
        }
    }

    @Test("stream_error_after_tokens: HTTP 200, two text deltas, then event: error overloaded_error and the end, no message_stop")
    func inStreamError() async throws {
        var settings = Dialects.fast(.anthropic)
        settings.streamErrorAfterTokens = 2
        try await SimulatorTests.withSim(settings) { sim, client, base in
            let (status, _, body) = try await Dialects.post(client, base + "/v1/messages", Self.plain)
            #expect(status == 200)
            let events = Dialects.events(body)
            #expect(events.filter { $0.name == "content_block_delta" }.count == 2)
            #expect(events.last?.name == "error")
            #expect(Dialects.dict(events.last?.json, "error")?["type"] as? String == "overloaded_error")
            #expect(!events.contains { $0.name == "message_stop" })
            let stats = await sim.waitForStats { $0.failed == 1 }
            #expect(stats.failed == 1)
            #expect(stats.inFlight == 0)
        }
    }

    @Test("thinking enabled: a thinking block (thinking_deltas, then a signature_delta) before the text block")
    func thinking() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.anthropic)) { _, client, base in
            let body = #"{"model":"m","max_tokens":2048,"stream":true,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}"#
            let events = Dialects.events(try await Dialects.post(client, base + "/v1/messages", body).body)
            let starts = events.filter { $0.name == "content_block_start" }.compactMap { Dialects.dict($0.json, "content_block")?["type"] as? String }
            #expect(starts == ["thinking", "text"])
            let deltas = events.filter { $0.name == "content_block_delta" }.compactMap { Dialects.dict($0.json, "delta")?["type"] as? String }
            #expect(deltas == ["thinking_delta", "thinking_delta", "thinking_delta", "signature_delta", "text_delta", "text_delta", "text_delta", "text_delta"])
            let stops = events.enumerated().filter { $0.element.name == "content_block_stop" }.map(\.offset)
            let signature = try #require(events.firstIndex { Dialects.dict($0.json, "delta")?["type"] as? String == "signature_delta" })
            #expect(stops.count == 2)
            #expect(stops.first == signature + 1)
            let delta = try #require(events.first { $0.name == "message_delta" }?.json)
            #expect(Dialects.dict(delta, "usage")?["output_tokens"] as? Int == 7)
        }
    }

    @Test("tool_choice any with tools: a tool_use block whose input_json_delta fragments make a JSON object, stop_reason tool_use")
    func toolUse() async throws {
        let streamed = #"{"model":"m","max_tokens":100,"stream":true,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"weather?"}]}"#
        let named = #"{"model":"m","max_tokens":100,"tools":[{"name":"a"},{"name":"b"}],"tool_choice":{"type":"tool","name":"b"},"messages":[]}"#
        let auto = #"{"model":"m","max_tokens":100,"tools":[{"name":"a"}],"tool_choice":{"type":"auto"},"messages":[]}"#
        let bodies = try await SimulatorTests.withSim(Dialects.fast(.anthropic)) { _, client, base in
            var bodies: [String] = []
            for body in [streamed, named, auto] { bodies.append(try await Dialects.post(client, base + "/v1/messages", body).body) }
            return bodies
        }
        try #require(bodies.count == 3)
        let events = Dialects.events(bodies[0])
        let block = try #require(events.first { $0.name == "content_block_start" }.flatMap { Dialects.dict($0.json, "content_block") })
        #expect(block["type"] as? String == "tool_use")
        #expect(block["name"] as? String == "get_weather")
        #expect((block["id"] as? String)?.hasPrefix("toolu_") == true)
        let fragments = events.compactMap { Dialects.dict($0.json, "delta") }.filter { $0["type"] as? String == "input_json_delta" }
        #expect(fragments.count > 1)
        let input = try Dialects.object(fragments.compactMap { $0["partial_json"] as? String }.joined())
        #expect(input["city"] as? String == "Paris")
        let delta = try #require(events.first { $0.name == "message_delta" }?.json)
        #expect(Dialects.dict(delta, "delta")?["stop_reason"] as? String == "tool_use")

        let message = try Dialects.object(bodies[1])
        let content = try #require((message["content"] as? [[String: Any]])?.first)
        #expect(content["type"] as? String == "tool_use")
        #expect(content["name"] as? String == "b")
        #expect(Dialects.dict(content, "input")?["unit"] as? String == "celsius")
        #expect(message["stop_reason"] as? String == "tool_use")

        let plain = try Dialects.object(bodies[2])
        #expect((plain["content"] as? [[String: Any]])?.first?["type"] as? String == "text")
    }

    @Test("POST /_sim/config applies: cached_prompt_tokens is cache_read_input_tokens, answer_tokens, max_tokens stops at max_tokens")
    func config() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.anthropic)) { sim, client, base in
            let (status, _, _) = try await Dialects.post(
                client, base + "/_sim/config", #"{"cached_prompt_tokens":6,"prompt_tokens":10,"answer_tokens":2}"#)
            #expect(status == 200)
            let events = Dialects.events(try await Dialects.post(client, base + "/v1/messages", Self.plain).body)
            let usage = try #require(Dialects.dict(events.first?.json?["message"], "usage"))
            #expect(usage["cache_read_input_tokens"] as? Int == 6)
            #expect(usage["input_tokens"] as? Int == 4)
            #expect(events.filter { $0.name == "content_block_delta" }.count == 2)
            let short = #"{"model":"m","max_tokens":1,"messages":[]}"#
            let message = try Dialects.object(try await Dialects.post(client, base + "/v1/messages", short).body)
            #expect(message["stop_reason"] as? String == "max_tokens")
            #expect(sim.settings.cachedPromptTokens == 6)
        }
    }

    @Test("cut_after_tokens drops the connection mid-stream; malformed_rate 1 sends frames that are not JSON")
    func faults() async throws {
        var settings = Dialects.fast(.anthropic)
        settings.cutAfterTokens = 2
        try await SimulatorTests.withSim(settings) { sim, client, base in
            await #expect(throws: (any Error).self) {
                _ = try await Dialects.post(client, base + "/v1/messages", Self.plain)
            }
            #expect(await sim.waitForStats { $0.cut == 1 }.cut == 1)
            #expect(try await Dialects.post(client, base + "/_sim/config", #"{"cut_after_tokens":null,"malformed_rate":1}"#).status == 200)
            let events = Dialects.events(try await Dialects.post(client, base + "/v1/messages", Self.plain).body)
            #expect(events.filter { $0.name == "content_block_delta" && $0.json == nil }.count == 4)
            #expect(events.last?.name == "message_stop")
        }
    }
}
