import Foundation
@testable import ProviderSim
import Testing

/// The simulator's OpenAI Responses API (`POST /v1/responses`, served by the OpenAI dialect) over real sockets on
/// 127.0.0.1, checked against OpenAI's wire format as the `openai` package's types describe it.
@Suite("Responses API dialect", .timeLimit(.minutes(5)))
struct ResponsesDialectTests {
    static let plain = #"{"model":"gpt-sim","input":"hi","stream":true}"#

    @Test("a stream is created, in_progress, item and part added, 4 text deltas, text/part/item done, completed; each data typed as its event, sequence numbers 0, 1, 2, …")
    func stream() async throws {
        var settings = Dialects.fast(.openai)
        settings.cachedPromptTokens = 2
        settings.promptTokens = 10
        try await SimulatorTests.withSim(settings) { sim, client, base in
            let (status, headers, body) = try await Dialects.post(client, base + "/v1/responses", Self.plain)
            #expect(status == 200)
            #expect(headers.first(name: "content-type") == "text/event-stream")
            let events = Dialects.events(body)
            #expect(events.map(\.name) == [
                "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
            ])
            for (index, event) in events.enumerated() {
                #expect(event.json?["type"] as? String == event.name)
                #expect(event.json?["sequence_number"] as? Int == index)
            }
            let created = try #require(Dialects.dict(events[0].json, "response"))
            #expect((created["id"] as? String)?.hasPrefix("resp_") == true)
            #expect(created["object"] as? String == "response")
            #expect(created["status"] as? String == "in_progress")
            #expect(created["model"] as? String == "gpt-sim")
            let text = events.filter { $0.name == "response.output_text.delta" }.compactMap { $0.json?["delta"] as? String }.joined()
            #expect(text == "The quick brown fox")
            let completed = try #require(Dialects.dict(events.last?.json, "response"))
            #expect(completed["status"] as? String == "completed")
            let output = try #require(completed["output"] as? [[String: Any]])
            #expect(output.count == 1)
            #expect(output[0]["type"] as? String == "message")
            #expect((output[0]["content"] as? [[String: Any]])?.first?["text"] as? String == "The quick brown fox")
            let usage = try #require(completed["usage"] as? [String: Any])
            #expect(usage["input_tokens"] as? Int == 10)
            #expect(Dialects.dict(usage, "input_tokens_details")?["cached_tokens"] as? Int == 2)
            #expect(usage["output_tokens"] as? Int == 4)
            #expect(usage["total_tokens"] as? Int == 14)
            #expect(sim.stats.responses == 1)
            #expect(sim.stats.completed == 1)
        }
    }

    @Test("a whole answer is one Response object: id, object, status, output message, usage")
    func whole() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai)) { sim, client, base in
            let (status, _, body) = try await Dialects.post(client, base + "/v1/responses", #"{"model":"gpt-sim","input":[{"role":"user","content":"hi"}]}"#)
            #expect(status == 200)
            let object = try Dialects.object(body)
            #expect(object["object"] as? String == "response")
            #expect(object["status"] as? String == "completed")
            #expect(object["incomplete_details"] is NSNull)
            let output = try #require(object["output"] as? [[String: Any]])
            #expect(output.first?["role"] as? String == "assistant")
            #expect((output.first?["content"] as? [[String: Any]])?.first?["type"] as? String == "output_text")
            #expect(Dialects.dict(object, "usage")?["output_tokens"] as? Int == 4)
            #expect(sim.stats.responses == 1)
        }
    }

    @Test("reasoning asked for comes first as a summary; a forced function tool is called with streamed arguments")
    func reasoningAndTool() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai)) { _, client, base in
            let body = #"{"model":"m","input":"weather?","stream":true,"reasoning":{"effort":"low"},"tools":[{"type":"function","name":"get_weather","parameters":{}}],"tool_choice":"required"}"#
            let events = Dialects.events(try await Dialects.post(client, base + "/v1/responses", body).body)
            let summary = events.filter { $0.name == "response.reasoning_summary_text.delta" }.compactMap { $0.json?["delta"] as? String }
            #expect(summary.joined() == "Let me think")
            let added = events.filter { $0.name == "response.output_item.added" }.compactMap { Dialects.dict($0.json, "item") }
            #expect(added.map { $0["type"] as? String } == ["reasoning", "function_call"])
            #expect(added.last?["name"] as? String == "get_weather")
            let arguments = events.filter { $0.name == "response.function_call_arguments.delta" }.compactMap { $0.json?["delta"] as? String }
            #expect(arguments.joined() == #"{"city": "Paris", "unit": "celsius"}"#)
            let usage = try #require(Dialects.dict(Dialects.dict(events.last?.json, "response"), "usage"))
            #expect(Dialects.dict(usage, "output_tokens_details")?["reasoning_tokens"] as? Int == 3)
        }
    }

    @Test("max_output_tokens below the answer ends it with response.incomplete, reason max_output_tokens")
    func incomplete() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.openai, tokens: 8)) { _, client, base in
            let events = Dialects.events(
                try await Dialects.post(client, base + "/v1/responses", #"{"model":"m","input":"hi","stream":true,"max_output_tokens":2}"#).body)
            #expect(events.filter { $0.name == "response.output_text.delta" }.count == 2)
            #expect(events.last?.name == "response.incomplete")
            let response = Dialects.dict(events.last?.json, "response")
            #expect(Dialects.dict(response, "incomplete_details")?["reason"] as? String == "max_output_tokens")
        }
    }

    @Test("an in-stream error is response.failed with an error object; an injected 503 is OpenAI's error body; no input is a 400")
    func failures() async throws {
        var failing = Dialects.fast(.openai)
        failing.streamErrorAfterTokens = 1
        try await SimulatorTests.withSim(failing) { _, client, base in
            let events = Dialects.events(try await Dialects.post(client, base + "/v1/responses", Self.plain).body)
            #expect(events.filter { $0.name == "response.output_text.delta" }.count == 1)
            #expect(events.last?.name == "response.failed")
            #expect(Dialects.dict(Dialects.dict(events.last?.json, "response"), "error")?["code"] as? String == "server_error")
            let missing = try await Dialects.post(client, base + "/v1/responses", #"{"model":"m"}"#)
            #expect(missing.status == 400)
            #expect(Dialects.dict(try Dialects.object(missing.body), "error")?["message"] as? String == "Missing required parameter: 'input'.")
        }
        var unavailable = Dialects.fast(.openai)
        unavailable.errorRate = 1
        unavailable.errorStatus = 503
        try await SimulatorTests.withSim(unavailable) { sim, client, base in
            let (status, _, body) = try await Dialects.post(client, base + "/v1/responses", Self.plain)
            #expect(status == 503)
            #expect(Dialects.dict(try Dialects.object(body), "error")?["message"] is String)
            #expect(sim.stats.failed == 1)
            #expect(sim.stats.responses == 1)
        }
    }

    @Test("an Anthropic simulator has no /v1/responses (404)")
    func otherDialects() async throws {
        try await SimulatorTests.withSim(Dialects.fast(.anthropic)) { _, client, base in
            let status = try await Dialects.post(client, base + "/v1/responses", Self.plain).status
            #expect(status == 404)
        }
    }
}
