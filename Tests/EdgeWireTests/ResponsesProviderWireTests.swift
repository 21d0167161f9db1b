@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("Responses API as a provider dialect: request writer, stream decoder, answer reader", .timeLimit(.minutes(5)))
struct ResponsesProviderWireTests {
    /// Decodes `frames` (SSE event type, data JSON) in order, collecting every event; stops at the first error.
    static func decode(_ frames: [(String, String)]) throws -> (events: [StreamEvent], decoder: ResponsesStreamDecoder) {
        var decoder = ResponsesStreamDecoder()
        var events: [StreamEvent] = []
        for (type, data) in frames {
            if case .frame(let frame) = try decoder.decode(SSEEvent(type: type, data: Array(data.utf8))) {
                events += frame.events
            }
        }
        return (events, decoder)
    }

    static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    // MARK: Stream decoder

    static let created = #"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","created_at":1700000000,"status":"in_progress","model":"gpt-x","output":[],"usage":null}}"#

    @Test("a text stream decodes to identity, role, text deltas, stop and usage with cached and reasoning tokens")
    func textStream() throws {
        let (events, decoder) = try Self.decode([
            ("response.created", Self.created),
            ("response.in_progress", #"{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress"}}"#),
            ("response.output_item.added", #"{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}}"#),
            ("response.content_part.added", #"{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}}"#),
            ("response.output_text.delta", #"{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel","logprobs":[]}"#),
            ("response.output_text.delta", #"{"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"lo","logprobs":[]}"#),
            ("response.output_text.done", #"{"type":"response.output_text.done","sequence_number":6,"item_id":"msg_1","output_index":0,"content_index":0,"text":"Hello"}"#),
            ("response.completed", #"{"type":"response.completed","sequence_number":7,"response":{"id":"resp_1","status":"completed","model":"gpt-x","output":[],"usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":4},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":3},"total_tokens":19}}}"#),
        ])
        #expect(
            events == [
                .start(id: "resp_1", model: "gpt-x", created: 1_700_000_000), .role(choice: 0, role: "assistant"),
                .text(choice: 0, text: "Hel"), .text(choice: 0, text: "lo"), .finish(choice: 0, reason: "stop"),
                .usage(TokenUsage(promptTokens: 12, completionTokens: 7, cacheReadTokens: 4, reasoningTokens: 3)),
            ])
        #expect(decoder.isAnswerFinished)
    }

    @Test("a function call's id and name go with its first arguments delta; the finish is tool_calls")
    func functionCallStream() throws {
        let (events, _) = try Self.decode([
            ("response.created", Self.created),
            ("response.output_item.added", #"{"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_9","name":"weather"}}"#),
            ("response.function_call_arguments.delta", #"{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{\"city\""}"#),
            ("response.function_call_arguments.delta", #"{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":":\"Paris\"}"}"#),
            ("response.function_call_arguments.done", #"{"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":0,"arguments":"{\"city\":\"Paris\"}"}"#),
            ("response.output_item.done", #"{"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_9","name":"weather"}}"#),
            ("response.completed", #"{"type":"response.completed","response":{"id":"resp_1","status":"completed","usage":null}}"#),
        ])
        #expect(
            events == [
                .start(id: "resp_1", model: "gpt-x", created: 1_700_000_000), .role(choice: 0, role: "assistant"),
                .toolCall(choice: 0, index: 0, id: "call_9", name: "weather", arguments: #"{"city""#),
                .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: #":"Paris"}"#),
                .finish(choice: 0, reason: "tool_calls"),
            ])
    }

    @Test("a function call whose arguments came without deltas is sent whole once, at its done event")
    func functionCallWithoutDeltas() throws {
        let (events, _) = try Self.decode([
            ("response.created", Self.created),
            ("response.output_item.added", #"{"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","arguments":"","call_id":"call_2","name":"lookup"}}"#),
            ("response.function_call_arguments.done", #"{"type":"response.function_call_arguments.done","output_index":1,"arguments":"{}"}"#),
            ("response.output_item.done", #"{"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","arguments":"{}","call_id":"call_2","name":"lookup"}}"#),
        ])
        #expect(events.filter { if case .toolCall = $0 { true } else { false } } == [.toolCall(choice: 0, index: 0, id: "call_2", name: "lookup", arguments: "{}")])
    }

    @Test("reasoning summary deltas are reasoning, refusal deltas refusals; empty deltas are no content")
    func reasoningAndRefusal() throws {
        let (events, _) = try Self.decode([
            ("response.created", Self.created),
            ("response.reasoning_summary_text.delta", #"{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Thinking"}"#),
            ("response.output_text.delta", #"{"type":"response.output_text.delta","delta":""}"#),
            ("response.refusal.delta", #"{"type":"response.refusal.delta","delta":"No."}"#),
        ])
        #expect(Array(events.dropFirst(2)) == [.reasoning(choice: 0, text: "Thinking"), .refusal(choice: 0, text: "No.")])
    }

    @Test("response.incomplete finishes with length (max_output_tokens) or content_filter")
    func incomplete() throws {
        let length = try Self.decode([
            ("response.incomplete", #"{"type":"response.incomplete","response":{"id":"r","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}"#)
        ])
        #expect(length.events.last == .finish(choice: 0, reason: "length"))
        #expect(length.decoder.isAnswerFinished)
        let filtered = try Self.decode([
            ("response.incomplete", #"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"content_filter"}}}"#)
        ])
        #expect(filtered.events.last == .finish(choice: 0, reason: "content_filter"))
    }

    @Test("response.failed and error events are stream errors with the provider's code and message")
    func failures() throws {
        let failed = try Self.decode([
            ("response.failed", #"{"type":"response.failed","response":{"id":"r","status":"failed","error":{"code":"server_error","message":"boom"}}}"#)
        ])
        #expect(failed.events == [.error(message: "boom", type: "server_error")])
        #expect(!failed.decoder.isAnswerFinished)
        let error = try Self.decode([("error", #"{"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null}"#)])
        #expect(error.events == [.error(message: "slow down", type: "rate_limit_exceeded")])
    }

    @Test("a frame that is not JSON is malformed; an unknown event type is a frame without events (for pass-through); blank data is skipped")
    func malformedAndSkipped() throws {
        var decoder = ResponsesStreamDecoder()
        #expect(throws: MalformedFrame.self) { try decoder.decode(SSEEvent(type: "response.output_text.delta", data: Array(#"{"delta":"#.utf8))) }
        guard case .frame(let unknown) = try decoder.decode(SSEEvent(type: "response.web_search_call.searching", data: Array(#"{"type":"response.web_search_call.searching","item_id":"ws"}"#.utf8))) else {
            Issue.record("an unknown event type is not a frame")
            return
        }
        #expect(unknown.events.isEmpty)
        #expect(unknown.eventType == "response.web_search_call.searching")
        guard case .skip = try decoder.decode(SSEEvent(data: Array("  ".utf8))) else {
            Issue.record("blank data is not skipped")
            return
        }
    }

    @Test("the router's own Responses encoder's stream decodes back to the events it was given")
    func roundTripThroughEncoder() throws {
        let given: [StreamEvent] = [
            .start(id: "up", model: "m", created: 5), .role(choice: 0, role: "assistant"),
            .reasoning(choice: 0, text: "hmm"), .text(choice: 0, text: "Hi"), .text(choice: 0, text: " there"),
            .finish(choice: 0, reason: "stop"), .usage(TokenUsage(promptTokens: 3, completionTokens: 2)),
        ]
        var encoder = ResponsesStreamEncoder(
            identity: ResponsesIdentity(responseID: "resp_rt", itemBase: "rt", model: "m", createdAt: 5))
        var output = ByteBuffer()
        for event in given { encoder.encode(event, into: &output) }
        encoder.finish(into: &output)
        var parser = SSEParser()
        var decoder = ResponsesStreamDecoder()
        var events: [StreamEvent] = []
        for event in try parser.parse(Array(output.readableBytesView)) {
            if case .frame(let frame) = try decoder.decode(event) { events += frame.events }
        }
        let content = events.filter(\.isContent)
        #expect(content == [.reasoning(choice: 0, text: "hmm"), .text(choice: 0, text: "Hi"), .text(choice: 0, text: " there")])
        #expect(events.contains(.finish(choice: 0, reason: "stop")))
        #expect(events.contains(.usage(TokenUsage(promptTokens: 3, completionTokens: 2))))
        #expect(decoder.isAnswerFinished)
    }

    // MARK: Answer reader

    @Test("a whole Response object reads into the events of its output items, finish and usage")
    func answerReader() throws {
        let json = #"{"id":"resp_2","object":"response","created_at":7,"status":"completed","model":"gpt-x","output":[{"type":"reasoning","id":"rs","summary":[{"type":"summary_text","text":"why"}]},{"type":"web_search_call","id":"ws","status":"completed"},{"type":"message","id":"m","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]},{"type":"refusal","refusal":"no"}]},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}],"usage":{"input_tokens":5,"output_tokens":6}}"#
        let events = try ResponsesAnswerReader.events(Array(json.utf8))
        #expect(
            events == [
                .start(id: "resp_2", model: "gpt-x", created: 7), .role(choice: 0, role: "assistant"),
                .reasoning(choice: 0, text: "why"), .text(choice: 0, text: "Hi"), .refusal(choice: 0, text: "no"),
                .toolCall(choice: 0, index: 0, id: "c1", name: "f", arguments: "{}"), .finish(choice: 0, reason: "tool_calls"),
                .usage(TokenUsage(promptTokens: 5, completionTokens: 6)),
            ])
        let failed = try ResponsesAnswerReader.events(Array(#"{"status":"failed","error":{"code":"server_error","message":"x"}}"#.utf8))
        #expect(failed == [.error(message: "x", type: "server_error")])
        #expect(throws: MalformedFrame.self) { try ResponsesAnswerReader.events(Array("[1]".utf8)) }
    }

    @Test("a count too large for an Int in usage is a malformed frame, not a trap")
    func hugeCount() throws {
        var decoder = ResponsesStreamDecoder()
        let frame = #"{"type":"response.completed","response":{"usage":{"input_tokens":99999999999999999999999}}}"#
        #expect(throws: MalformedFrame.self) { try decoder.decode(SSEEvent(data: Array(frame.utf8))) }
    }

    // MARK: Pass-through

    @Test("the client's body goes to a native deployment with its own members, the deployment's model, store false, stream true, and the history before its input")
    func passThroughBody() throws {
        let client = #"{"model":"m","input":"Again","previous_response_id":"resp_a","store":true,"include":["reasoning.encrypted_content"],"service_tier":"flex","tools":[{"type":"web_search"}],"stream":false}"#
        let history = [ChatMessage(role: .user, parts: [.text("Hi")]), ChatMessage(role: .assistant, parts: [.text("Hello")])]
        let body = try Self.object(try ResponsesPassThrough.body(client: Array(client.utf8), model: "up", history: history))
        #expect(body["model"] as? String == "up")
        #expect(body["store"] as? Bool == false)
        #expect(body["stream"] as? Bool == true)
        #expect(body["previous_response_id"] == nil)
        #expect(body["service_tier"] as? String == "flex")
        #expect(body["include"] as? [String] == ["reasoning.encrypted_content"])
        #expect((body["tools"] as? [[String: Any]])?.first?["type"] as? String == "web_search")
        let input = try #require(body["input"] as? [[String: Any]])
        #expect(input.map { $0["role"] as? String } == ["user", "assistant", "user"])
        #expect(input[2]["content"] as? String == "Again")
        let items = #"{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":"sunny"}]}"#
        let itemBody = try Self.object(try ResponsesPassThrough.body(client: Array(items.utf8), model: "up", history: []))
        #expect((itemBody["input"] as? [[String: Any]])?.first?["type"] as? String == "function_call_output")
    }

    @Test("an event is passed on with the router's sequence number and response id, the client's store and previous id; text that mentions them is untouched")
    func passThroughRewrite() {
        let payload = Array(#"{"type":"response.completed","sequence_number":17,"response":{"id":"resp_up","store":false,"previous_response_id":null,"output":[{"type":"message","content":[{"type":"output_text","text":"say "resp_up" and "store":false"}]}]}}"#.utf8)
        let rewritten = String(
            decoding: ResponsesPassThrough.rewrite(
                payload, sequenceNumber: 3,
                replacing: [
                    (Array(#""resp_up""#.utf8), Array(#""resp_mine""#.utf8)), (Array(#""store":false"#.utf8), Array(#""store":true"#.utf8)),
                    (Array(#""previous_response_id":null"#.utf8), Array(#""previous_response_id":"resp_before""#.utf8)),
                ]), as: UTF8.self)
        #expect(
            rewritten
                == #"{"type":"response.completed","sequence_number":3,"response":{"id":"resp_mine","store":true,"previous_response_id":"resp_before","output":[{"type":"message","content":[{"type":"output_text","text":"say "resp_up" and "store":false"}]}]}}"#)
    }

    // MARK: Request writer

    @Test("a neutral request is written as instructions, input items, function tools, settings, store false and stream")
    func requestWriter() throws {
        let request = ChatRequest(
            model: "client-model", stream: false, system: ["Be brief.", "Be kind."],
            messages: [
                ChatMessage(role: .user, parts: [.text("Weather?"), .image(.url("https://example.test/a.png"))]),
                ChatMessage(role: .assistant, parts: [.text("Calling."), .toolCall(id: "call_1", name: "weather", arguments: #"{"city":"Paris"}"#)]),
                ChatMessage(role: .user, parts: [.toolResult(id: "call_1", name: "weather", content: [.text("sunny")], isError: false)]),
            ],
            tools: [ToolDefinition(name: "weather", description: "Looks it up", parameters: RawJSON(#"{"type":"object"}"#))],
            toolChoice: .tool(name: "weather"), parallelToolCalls: false, maxTokens: 64, temperature: RawJSON("0.7"),
            responseFormat: .jsonSchema(name: "s", schema: RawJSON(#"{"type":"object"}"#), strict: true),
            reasoning: ReasoningRequest(effort: "low"))
        let body = try Self.object(try ResponsesRequestWriter.body(for: request, model: "up-model"))
        #expect(body["model"] as? String == "up-model")
        #expect(body["instructions"] as? String == "Be brief.\n\nBe kind.")
        #expect(body["store"] as? Bool == false)
        #expect(body["stream"] as? Bool == true)
        #expect(body["max_output_tokens"] as? Int == 64)
        #expect(body["temperature"] as? Double == 0.7)
        #expect(body["parallel_tool_calls"] as? Bool == false)
        #expect((body["reasoning"] as? [String: Any])?["effort"] as? String == "low")
        let format = try #require((body["text"] as? [String: Any])?["format"] as? [String: Any])
        #expect(format["type"] as? String == "json_schema")
        #expect(format["name"] as? String == "s")
        let choice = try #require(body["tool_choice"] as? [String: Any])
        #expect(choice["type"] as? String == "function")
        #expect(choice["name"] as? String == "weather")
        let tools = try #require(body["tools"] as? [[String: Any]])
        #expect(tools.count == 1)
        #expect(tools[0]["type"] as? String == "function")
        #expect(tools[0]["name"] as? String == "weather")
        let input = try #require(body["input"] as? [[String: Any]])
        #expect(input.count == 4)
        #expect(input[0]["role"] as? String == "user")
        let parts = try #require(input[0]["content"] as? [[String: Any]])
        #expect(parts.map { $0["type"] as? String } == ["input_text", "input_image"])
        #expect(parts[1]["image_url"] as? String == "https://example.test/a.png")
        #expect(input[1]["role"] as? String == "assistant")
        #expect(input[1]["content"] as? String == "Calling.")
        #expect(input[2]["type"] as? String == "function_call")
        #expect(input[2]["call_id"] as? String == "call_1")
        #expect(input[2]["arguments"] as? String == #"{"city":"Paris"}"#)
        #expect(input[3]["type"] as? String == "function_call_output")
        #expect(input[3]["output"] as? String == "sunny")
    }

    @Test("what the Responses API cannot take is refused naming the field")
    func requestWriterRefusals() {
        func refusal(_ request: ChatRequest) -> String? {
            do {
                _ = try ResponsesRequestWriter.body(for: request, model: "m")
                return nil
            } catch {
                return error.param
            }
        }
        let plain = [ChatMessage(role: .user, parts: [.text("hi")])]
        #expect(refusal(ChatRequest(model: "m", messages: plain, topK: 3)) == "top_k")
        #expect(refusal(ChatRequest(model: "m", messages: plain, stopSequences: ["x"])) == "stop")
        #expect(refusal(ChatRequest(model: "m", messages: plain, choiceCount: 2)) == "n")
        #expect(refusal(ChatRequest(model: "m", messages: plain, untranslatable: ["cache_control"])) == "cache_control")
        let imageResult = ChatMessage(
            role: .user, parts: [.toolResult(id: "c", name: "f", content: [.image(.url("https://example.test/i.png"))], isError: false)])
        #expect(refusal(ChatRequest(model: "m", messages: [imageResult])) == "messages[0].content[0]")
        #expect(refusal(ChatRequest(model: "m", messages: plain)) == nil)
    }

    @Test("a max_tokens below OpenAI's minimum of 16 (a probe's 1) is sent as 16")
    func minimumOutputTokens() throws {
        let body = try Self.object(
            try ResponsesRequestWriter.body(for: ChatRequest(model: "m", messages: [ChatMessage(role: .user, parts: [.text("hi")])], maxTokens: 1), model: "m"))
        #expect(body["max_output_tokens"] as? Int == 16)
    }
}
