@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("Anthropic stream encoder and message assembler", .timeLimit(.minutes(5)))
struct AnthropicStreamEncoderTests {
    typealias Support = AnthropicTestSupport

    static func encode(_ events: [StreamEvent]) -> ByteBuffer {
        var encoder = AnthropicStreamEncoder(fallbackID: "req1", model: "claude-x")
        var output = ByteBuffer()
        for event in events { encoder.encode(event, into: &output) }
        encoder.finish(into: &output)
        return output
    }

    /// The neutral content of a list of events: text, reasoning, signature, tool calls (merged), finish, usage.
    struct Content: Equatable {
        var text = ""
        var reasoning = ""
        var signature = ""
        var calls: [String] = []
        var finish: String?
        var usage: TokenUsage?

        init(_ events: [StreamEvent]) {
            var byIndex: [Int: (id: String, name: String, arguments: String)] = [:]
            var order: [Int] = []
            for event in events {
                switch event {
                case .text(0, let piece): text += piece
                case .reasoning(0, let piece): reasoning += piece
                case .reasoningSignature(0, let piece): signature += piece
                case .toolCall(0, let index, let id, let name, let arguments):
                    if byIndex[index] == nil { order.append(index); byIndex[index] = ("", "", "") }
                    if let id, !id.isEmpty { byIndex[index]?.id = id }
                    if let name { byIndex[index]?.name += name }
                    byIndex[index]?.arguments += arguments
                case .finish(0, let reason): finish = reason
                case .usage(let figures): usage = figures
                default: break
                }
            }
            calls = order.compactMap { byIndex[$0].map { "\($0.id) \($0.name) \($0.arguments)" } }
        }
    }

    static let richEvents: [StreamEvent] = [
        .start(id: "chatcmpl-9", model: "gpt-4o", created: 1),
        .role(choice: 0, role: "assistant"),
        .reasoning(choice: 0, text: "Let me "),
        .reasoning(choice: 0, text: "think \"hard\"."),
        .reasoningSignature(choice: 0, signature: "sig=="),
        .text(choice: 0, text: "Hello\n"),
        .text(choice: 1, text: "other choice"),
        .text(choice: 0, text: "world 😀"),
        .toolCall(choice: 0, index: 0, id: "call_a", name: "get_weather", arguments: ""),
        .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: "{\"city\":"),
        .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: "\"Paris\"}"),
        .toolCall(choice: 0, index: 1, id: "call_b", name: "get_time", arguments: "{}"),
        .finish(choice: 0, reason: "tool_calls"),
        .usage(TokenUsage(promptTokens: 120, completionTokens: 30, cacheReadTokens: 100, cacheWriteTokens: 5)),
    ]

    @Test("encoded frames decode back to the same text, reasoning, signature, tool calls, finish and usage")
    func roundTrip() throws {
        let bytes = Array(Self.encode(Self.richEvents).readableBytesView)
        let (outcomes, finished) = try Support.decode(bytes)
        #expect(outcomes.last == .done)
        #expect(finished)
        let back = Support.events(outcomes)
        #expect(back.first == .start(id: "chatcmpl-9", model: "claude-x", created: 0))
        let expected = Content(Self.richEvents.filter { if case .text(1, _) = $0 { false } else { true } })
        #expect(Content(back) == expected)
    }

    @Test("a text answer is exactly message_start, one text block, message_delta with the mapped stop reason, message_stop")
    func exactText() {
        let text = Support.text(Self.encode([
            .role(choice: 0, role: "assistant"), .text(choice: 0, text: "Hi"), .finish(choice: 0, reason: "length"),
            .usage(TokenUsage(promptTokens: 12, completionTokens: 3, cacheReadTokens: 2)),
        ]))
        #expect(text == """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_req1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"input_tokens":10,"output_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":2}}

            event: message_stop
            data: {"type":"message_stop"}


            """)
    }

    @Test("a tool call opens a tool_use block with its id and name and streams its arguments as input_json_delta")
    func exactToolCall() {
        let text = Support.text(Self.encode([
            .toolCall(choice: 0, index: 0, id: "toolu_1", name: "f", arguments: "{\"a\":1}"),
        ]))
        #expect(text.contains(#"data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}"#))
        #expect(text.contains(#"data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":1}"}}"#))
        #expect(text.contains(#""stop_reason":"end_turn""#))
    }

    @Test("neutral finish reasons map to Anthropic stop reasons")
    func stopReasons() {
        for (neutral, anthropic) in [("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"), ("content_filter", "refusal"), ("x", "end_turn")] {
            #expect(AnthropicStopReason.anthropic(neutral) == anthropic)
        }
    }

    @Test("the error frame is an error event with Anthropic's error object")
    func errorFrame() {
        let frame = Support.text(AnthropicStreamEncoder.errorFrame(type: "overloaded_error", message: "Over \"loaded\""))
        #expect(frame == "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Over \\\"loaded\\\"\"}}\n\n")
    }

    @Test("the error body is Anthropic's error shape with the request id, or null")
    func errorBody() {
        let body = String(decoding: AnthropicErrorBody.json(type: "invalid_request_error", message: "max_tokens: Field required.", requestID: "req_1"), as: UTF8.self)
        #expect(body == #"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required."},"request_id":"req_1"}"#)
        let none = String(decoding: AnthropicErrorBody.json(type: "api_error", message: "x", requestID: nil), as: UTF8.self)
        #expect(none.hasSuffix(#","request_id":null}"#))
    }

    @Test("the assembler writes blocks in order of arrival, tool input as an object, the stop reason and uncached input")
    func assembledMessage() throws {
        var assembler = AnthropicMessageAssembler()
        Self.richEvents.forEach { assembler.consume($0) }
        let json = try #require(Support.json(assembler.answerJSON(fallbackModel: "fb", fallbackID: "msg_fb").readableBytesView))
        let expected = try #require(Support.json(#"""
            {"id":"chatcmpl-9","type":"message","role":"assistant","model":"gpt-4o","content":[
              {"type":"thinking","thinking":"Let me think \"hard\".","signature":"sig=="},
              {"type":"text","text":"Hello\nworld 😀"},
              {"type":"tool_use","id":"call_a","name":"get_weather","input":{"city":"Paris"}},
              {"type":"tool_use","id":"call_b","name":"get_time","input":{}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":15,"output_tokens":30,"cache_creation_input_tokens":5,"cache_read_input_tokens":100}}
            """#))
        #expect(json == expected)
        #expect(assembler.assembledBytes == "Let me think \"hard\".sig==Hello\nworld 😀call_aget_weather{\"city\":\"Paris\"}call_bget_time{}".utf8.count)
    }

    @Test("the SDK's tool-use stream, decoded and assembled, is a message like the reference's, with the usage counts")
    func assembledFromFixture() throws {
        var assembler = AnthropicMessageAssembler()
        Support.events(try Support.decode(try Support.fixture("tool-use-stream.sse")).outcomes).forEach { assembler.consume($0) }
        let json = try #require(Support.json(assembler.answerJSON(fallbackModel: "fb", fallbackID: "fb").readableBytesView))
        let expected = try #require(Support.json(#"""
            {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
             "content":[{"type":"text","text":"I'll check the current weather in Paris for you."},
                        {"type":"tool_use","id":"toolu_01NRLabsLyVHZPKxbKvkfSMn","name":"get_weather","input":{"location":"Paris"}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":377,"output_tokens":65,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
            """#))
        #expect(json == expected)
    }

    @Test("the reference's message, as events, assembles to the same JSON (cache tokens kept apart from input tokens)")
    func referenceMessage() throws {
        let reference = try #require(Support.json(try Support.fixture("message-with-cache-usage.json")))
        var assembler = AnthropicMessageAssembler()
        for event: StreamEvent in [
            .start(id: "msg_013Zva2CMHLNnXjNJJKqJ2EF", model: "claude-sonnet-4-5-20250929", created: 0),
            .text(choice: 0, text: "Hi! My name is Claude."), .finish(choice: 0, reason: "stop"),
            .usage(TokenUsage(promptTokens: 21 + 188_086, completionTokens: 393, cacheReadTokens: 0, cacheWriteTokens: 188_086)),
        ] { assembler.consume(event) }
        #expect(Support.json(assembler.answerJSON(fallbackModel: "x", fallbackID: "y").readableBytesView) == reference)
    }

    @Test("with nothing from the provider the assembler uses the fallbacks, null stop reason, zero usage; cut arguments are {}")
    func fallbacks() throws {
        var assembler = AnthropicMessageAssembler()
        assembler.consume(.toolCall(choice: 0, index: 0, id: "t", name: "f", arguments: "{\"a\":"))
        let json = try #require(Support.json(assembler.answerJSON(fallbackModel: "fb-model", fallbackID: "msg_fb").readableBytesView))
        #expect(json == Support.json(#"{"id":"msg_fb","type":"message","role":"assistant","model":"fb-model","content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#))
    }
}
