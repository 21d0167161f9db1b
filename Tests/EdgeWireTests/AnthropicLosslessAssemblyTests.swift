@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// A non-streaming Anthropic answer assembled from an Anthropic provider's stream carries what the provider's own
/// non-streaming answer would: the matched stop sequence, the whole usage, members this code does not know.
@Suite("Anthropic answers assembled without loss", .timeLimit(.minutes(1)))
struct AnthropicLosslessAssemblyTests {
    static func assemble(_ stream: String, passThrough: Bool) throws -> [String: Any] {
        var parser = SSEParser()
        var decoder = AnthropicStreamDecoder()
        var assembler = AnthropicMessageAssembler()
        try parser.parse(Array(stream.utf8)) { event in
            guard case .frame(let frame) = try decoder.decode(event) else { return }
            for event in frame.events { assembler.consume(event) }
            if passThrough { assembler.consumeProviderEvent(frame.payload) }
        }
        let json = assembler.answerJSON(fallbackModel: "x", fallbackID: "y")
        return try #require(try JSONSerialization.jsonObject(with: Data(json.readableBytesView)) as? [String: Any])
    }

    static let stream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"container":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":1,"service_tier":"standard"}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"One, two"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"three"},"usage":{"output_tokens":4}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    @Test("passed through, the answer has the matched stop sequence, the provider's whole usage and its other members")
    func providerFieldsKept() throws {
        let message = try Self.assemble(Self.stream, passThrough: true)
        #expect(message["stop_reason"] as? String == "stop_sequence")
        #expect(message["stop_sequence"] as? String == "three")
        #expect(message["container"] is NSNull)
        let usage = try #require(message["usage"] as? [String: Any])
        #expect(usage["input_tokens"] as? Int == 12)
        #expect(usage["cache_read_input_tokens"] as? Int == 2048)
        #expect(usage["output_tokens"] as? Int == 4)
        #expect(usage["service_tier"] as? String == "standard")
        #expect((message["content"] as? [[String: Any]])?.first?["text"] as? String == "One, two")
    }

    @Test("translated from another dialect, the answer has the neutral usage and no stop sequence")
    func neutralWithoutProviderEvents() throws {
        let message = try Self.assemble(Self.stream, passThrough: false)
        #expect(message["stop_sequence"] is NSNull)
        let usage = try #require(message["usage"] as? [String: Any])
        #expect(usage["input_tokens"] as? Int == 12)
        #expect(usage["output_tokens"] as? Int == 4)
        #expect(usage["service_tier"] == nil)
    }

    @Test("a redacted_thinking block is kept in the assembled answer and in a re-encoded stream, its data unchanged")
    func redactedThinkingKept() throws {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4a"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Done."}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        let message = try Self.assemble(stream, passThrough: false)
        let content = try #require(message["content"] as? [[String: Any]])
        #expect(content.first?["type"] as? String == "redacted_thinking")
        #expect(content.first?["data"] as? String == "EmwKAhgBEgy3va3pzix/LafPsn4a")
        #expect(content.last?["text"] as? String == "Done.")

        var parser = SSEParser()
        var decoder = AnthropicStreamDecoder()
        var events: [StreamEvent] = []
        try parser.parse(Array(stream.utf8)) { event in
            if case .frame(let frame) = try decoder.decode(event) { events += frame.events }
        }
        var encoder = AnthropicStreamEncoder(fallbackID: "x", model: "m")
        var output = ByteBuffer()
        for event in events { encoder.encode(event, into: &output) }
        encoder.finish(into: &output)
        var again = AnthropicStreamDecoder()
        var reread: [StreamEvent] = []
        var parser2 = SSEParser()
        try parser2.parse(Array(output.readableBytesView)) { event in
            if case .frame(let frame) = try again.decode(event) { reread += frame.events }
        }
        #expect(reread.contains(.redactedReasoning(choice: 0, data: "EmwKAhgBEgy3va3pzix/LafPsn4a")))
    }
}

@Suite("Anthropic writer: thinking with a forced tool call", .timeLimit(.minutes(1)))
struct AnthropicForcedToolWithThinkingTests {
    @Test("reasoning with a forced tool call is refused naming tool_choice; with auto it is written")
    func forcedToolWithReasoningRefused() throws {
        var request = ChatRequest(
            model: "m", messages: [ChatMessage(role: .user, parts: [.text("weather?")])], tools: [ToolDefinition(name: "get_weather")],
            toolChoice: .required, reasoning: ReasoningRequest(effort: "low"))
        #expect(throws: WireError.self) { try AnthropicRequestWriter.body(for: request, model: "x", defaultMaxTokens: 100) }
        do {
            _ = try AnthropicRequestWriter.body(for: request, model: "x", defaultMaxTokens: 100)
        } catch {
            #expect(error.param == "tool_choice")
        }
        request.toolChoice = .auto
        let body = String(buffer: try AnthropicRequestWriter.body(for: request, model: "x", defaultMaxTokens: 100))
        #expect(body.contains(#""thinking":{"type":"enabled","budget_tokens":1024}"#))
    }
}
