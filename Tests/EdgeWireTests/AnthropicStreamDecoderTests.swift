@testable import EdgeWire
import Foundation
import Testing

@Suite("Anthropic stream decoder", .timeLimit(.minutes(5)))
struct AnthropicStreamDecoderTests {
    typealias Support = AnthropicTestSupport

    static let fixtures = ["basic-text-stream.sse", "tool-use-stream.sse", "thinking-stream.sse", "error-stream.sse"]

    @Test("the SDK's basic text stream: start and role, three text pieces, ping skipped, finish stop, usage 11/6, done")
    func basicText() throws {
        let (outcomes, finished) = try Support.decode(try Support.fixture("basic-text-stream.sse"))
        #expect(
            outcomes == [
                .frame(type: "message_start", events: [
                    .start(id: "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK", model: "claude-3-opus-latest", created: 0),
                    .role(choice: 0, role: "assistant"),
                ]),
                .frame(type: "content_block_start", events: []),
                .skip,
                .frame(type: "content_block_delta", events: [.text(choice: 0, text: "Hello")]),
                .frame(type: "content_block_delta", events: [.text(choice: 0, text: " there")]),
                .frame(type: "content_block_delta", events: [.text(choice: 0, text: "!")]),
                .frame(type: "content_block_stop", events: []),
                .frame(type: "message_delta", events: [
                    .finish(choice: 0, reason: "stop"), .usage(TokenUsage(promptTokens: 11, completionTokens: 6)),
                ]),
                .done,
            ])
        #expect(finished)
    }

    @Test("the SDK's tool-use stream: text, then tool call 0 with its id and name, arguments in fragments, finish tool_calls")
    func toolUse() throws {
        let (outcomes, _) = try Support.decode(try Support.fixture("tool-use-stream.sse"))
        let events = Support.events(outcomes)
        #expect(
            events == [
                .start(id: "msg_019Q1hrJbZG26Fb9BQhrkHEr", model: "claude-sonnet-4-20250514", created: 0),
                .role(choice: 0, role: "assistant"),
                .text(choice: 0, text: "I"),
                .text(choice: 0, text: "'ll check the current weather in Paris for you."),
                .toolCall(choice: 0, index: 0, id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_weather", arguments: ""),
                .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: ""),
                .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: "{\"locati"),
                .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: "on\": \"P"),
                .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: "ar"),
                .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: "is\"}"),
                .finish(choice: 0, reason: "tool_calls"),
                .usage(TokenUsage(promptTokens: 377, completionTokens: 65)),
            ])
    }

    @Test("the guide's thinking stream: reasoning pieces, the signature, then text; no usage when none is sent")
    func thinking() throws {
        let (outcomes, finished) = try Support.decode(try Support.fixture("thinking-stream.sse"))
        let events = Support.events(outcomes)
        #expect(
            events == [
                .start(id: "msg_01...", model: "claude-sonnet-4-5", created: 0),
                .role(choice: 0, role: "assistant"),
                .reasoning(choice: 0, text: "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147"),
                .reasoning(choice: 0, text: "\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21"),
                .reasoningSignature(choice: 0, signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."),
                .text(choice: 0, text: "The greatest common divisor of 1071 and 462 is **21**."),
                .finish(choice: 0, reason: "stop"),
            ])
        #expect(outcomes.last == .done)
        #expect(finished)
    }

    @Test("an error event mid-stream is a frame whose first event is the error, with its type; the answer is not finished")
    func errorEvent() throws {
        let (outcomes, finished) = try Support.decode(try Support.fixture("error-stream.sse"))
        #expect(outcomes.last == .frame(type: "error", events: [.error(message: "Overloaded", type: "overloaded_error")]))
        #expect(!finished)
    }

    @Test("every fixture split at every byte offset (and at every pair of offsets in the smallest) decodes the same", arguments: fixtures)
    func splitAnywhere(name: String) throws {
        let bytes = try Support.fixture(name)
        let whole = try Support.decode(bytes).outcomes
        for split in 0...bytes.count {
            #expect(try Support.decode(bytes, splits: [split]).outcomes == whole)
        }
        for split in stride(from: 0, through: bytes.count, by: 7) {
            #expect(try Support.decode(bytes, splits: [split, min(bytes.count, split + 3), min(bytes.count, split + 5)]).outcomes == whole)
        }
    }

    @Test("cache tokens from message_start and message_delta are added into the prompt count and kept apart")
    func cacheUsage() throws {
        var decoder = AnthropicStreamDecoder()
        _ = try decoder.decode(SSEEvent(data: Array(#"{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":5,"output_tokens":1}}}"#.utf8)))
        let decoded = try decoder.decode(SSEEvent(data: Array(#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":42,"cache_read_input_tokens":200}}"#.utf8)))
        guard case .frame(let frame) = decoded else {
            Issue.record("not a frame")
            return
        }
        #expect(frame.events == [
            .finish(choice: 0, reason: "length"),
            .usage(TokenUsage(promptTokens: 215, completionTokens: 42, cacheReadTokens: 200, cacheWriteTokens: 5)),
        ])
    }

    @Test("stop reasons map to the neutral vocabulary; unknown ones are stop")
    func stopReasons() {
        let cases = [
            ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
            ("refusal", "content_filter"), ("pause_turn", "stop"), ("model_context_window_exceeded", "length"), ("new", "stop"),
        ]
        for (anthropic, neutral) in cases { #expect(AnthropicStopReason.neutral(anthropic) == neutral) }
    }

    @Test("the JSON type decides, not the SSE event field; unknown types and pings are skipped; citations deltas are empty frames")
    func typesAndSkips() throws {
        var decoder = AnthropicStreamDecoder()
        let text = try decoder.decode(SSEEvent(type: "ping", data: Array(#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#.utf8)))
        guard case .frame(let frame) = text else {
            Issue.record("not a frame")
            return
        }
        #expect(frame.eventType == "content_block_delta")
        #expect(frame.events == [.text(choice: 0, text: "x")])
        #expect(try decoder.decode(SSEEvent(type: "ping", data: Array(#"{"type": "ping"}"#.utf8))).isSkip)
        #expect(try decoder.decode(SSEEvent(data: Array(#"{"type":"brand_new_event","x":[1,{"y":null}]}"#.utf8))).isSkip)
        #expect(try decoder.decode(SSEEvent(data: [])).isSkip)
        let citation = try decoder.decode(SSEEvent(data: Array(#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location"}}}"#.utf8)))
        guard case .frame(let empty) = citation else {
            Issue.record("not a frame")
            return
        }
        #expect(empty.events.isEmpty)
    }

    @Test("input_json_delta of a server tool's block is no tool call; a second tool_use block is tool call 1")
    func toolIndexes() throws {
        var decoder = AnthropicStreamDecoder()
        let frames = [
            #"{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"q\":1}"}}"#,
            #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"a","name":"f","input":{}}}"#,
            #"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"b","name":"g","input":{}}}"#,
            #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#,
            #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"[]"}}"#,
        ]
        var events: [StreamEvent] = []
        for frame in frames {
            if case .frame(let decoded) = try decoder.decode(SSEEvent(data: Array(frame.utf8))) { events += decoded.events }
        }
        #expect(events == [
            .toolCall(choice: 0, index: 0, id: "a", name: "f", arguments: ""),
            .toolCall(choice: 0, index: 1, id: "b", name: "g", arguments: ""),
            .toolCall(choice: 0, index: 1, id: nil, name: nil, arguments: "{}"),
            .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: "[]"),
        ])
    }

    @Test("malformed frames throw MalformedFrame and never trap", arguments: [
        "not json", "{", "[]", "\"message_start\"", "{}", #"{"type":1}"#, #"{"type":null}"#,
        #"{"type":"content_block_delta","index":"0","delta":{"type":"text_delta","text":"x"}}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":7}}"#,
        #"{"type":"content_block_delta","index":0,"delta":[]}"#,
        #"{"type":"message_start","message":{"id":1}}"#,
        #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":"9"}}"#,
        #"{"type":"message_delta","usage":{"output_tokens":1e400}}"#,
        #"{"type":"message_delta","usage":{"output_tokens":99999999999999999999}}"#,
        #"{"type":"error","error":{"message":false}}"#,
        #"{"type":"ping"} trailing"#, "{\"type\":\"text\u{1}\"}", #"{"type":"\ud800"}"#,
    ])
    func malformed(frame: String) {
        var decoder = AnthropicStreamDecoder()
        #expect(throws: MalformedFrame.self) { try decoder.decode(SSEEvent(data: Array(frame.utf8))) }
    }

    @Test("huge usage counts saturate instead of overflowing")
    func saturatingUsage() throws {
        var decoder = AnthropicStreamDecoder()
        let max = Int.max
        _ = try decoder.decode(SSEEvent(data: Array(#"{"type":"message_start","message":{"usage":{"input_tokens":\#(max),"cache_read_input_tokens":\#(max),"cache_creation_input_tokens":\#(max)}}}"#.utf8)))
        let decoded = try decoder.decode(SSEEvent(data: Array(#"{"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":\#(max)}}"#.utf8)))
        guard case .frame(let frame) = decoded, case .usage(let usage)? = frame.events.last else {
            Issue.record("no usage")
            return
        }
        #expect(usage.promptTokens == .max)
        #expect(!decoder.isAnswerFinished)
    }

    @Test("random bytes and random cuts of the fixtures' frames never trap")
    func randomInput() throws {
        var generator = SystemRandomNumberGenerator()
        var frames: [[UInt8]] = []
        for name in Self.fixtures {
            var parser = SSEParser()
            frames += try parser.parse(try Support.fixture(name)).map(\.data)
        }
        for _ in 0..<2_000 {
            var decoder = AnthropicStreamDecoder()
            var frame = frames.randomElement(using: &generator) ?? []
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: frame = Array(frame.prefix(Int.random(in: 0...frame.count, using: &generator)))
            case 1 where !frame.isEmpty: frame[Int.random(in: 0..<frame.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            default: frame = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            _ = try? decoder.decode(SSEEvent(data: frame))
        }
    }
}

extension StreamDecoded {
    var isSkip: Bool {
        if case .skip = self { return true }
        return false
    }
}
