@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// The OpenAI dialect's side of translation: requests read into the neutral form and written back, and neutral
/// stream events written as OpenAI chunks.
@Suite("OpenAI translation: neutral requests and chunks", .timeLimit(.minutes(2)))
struct OpenAITranslationTests {
    static func json(_ buffer: ByteBuffer) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
    }

    static let richRequest = #"""
        {"model":"m","stream":true,"max_tokens":300,"temperature":0.70,"top_p":1,"n":2,"stop":"END","user":"u-1",
         "messages":[
          {"role":"system","content":"Be brief."},
          {"role":"user","content":[{"type":"text","text":"What is here?"},
             {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
             {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg","detail":"low"}}]},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
             "function":{"name":"lookup","arguments":"{\"q\":\"cat\"}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"a cat"},
          {"role":"developer","content":[{"type":"text","text":"Answer in English."}]}],
         "tools":[{"type":"function","function":{"name":"lookup","description":"Looks up","parameters":{"type":"object","properties":{"q":{"type":"string"}}},"strict":true}}],
         "tool_choice":{"type":"function","function":{"name":"lookup"}},"parallel_tool_calls":false,
         "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},"strict":true}},
         "reasoning_effort":"high"}
        """#

    @Test("a rich request reads into the neutral form: system pieces, images, tool call and result with its name, tools, options")
    func readsRichRequest() throws {
        let request = try OpenAIRequestReader.read(Array(Self.richRequest.utf8))
        #expect(request.model == "m")
        #expect(request.stream)
        #expect(request.system == ["Be brief.", "Answer in English."])
        #expect(request.maxTokens == 300)
        #expect(request.temperature == JSONNumber("0.70"))
        #expect(request.topP == JSONNumber("1"))
        #expect(request.choiceCount == 2)
        #expect(request.stopSequences == ["END"])
        #expect(request.parallelToolCalls == false)
        #expect(request.toolChoice == .tool(name: "lookup"))
        #expect(request.reasoning == ReasoningRequest(effort: "high"))
        #expect(request.responseFormat == .jsonSchema(name: "answer", schema: RawJSON(#"{"type":"object"}"#), strict: true))
        #expect(request.tools == [
            ToolDefinition(name: "lookup", description: "Looks up", parameters: RawJSON(#"{"type":"object","properties":{"q":{"type":"string"}}}"#))
        ])
        #expect(request.untranslatable.isEmpty, "user is a hint, not untranslatable: \(request.untranslatable)")
        #expect(request.messages == [
            ChatMessage(role: .user, parts: [
                .text("What is here?"), .image(.base64(mediaType: "image/png", data: "iVBORw0KGgo=")),
                .image(.url("https://example.com/cat.jpg")),
            ]),
            ChatMessage(role: .assistant, parts: [.toolCall(id: "call_1", name: "lookup", arguments: #"{"q":"cat"}"#)]),
            ChatMessage(role: .user, parts: [.toolResult(id: "call_1", name: "lookup", content: [.text("a cat")], isError: false)]),
        ])
    }

    @Test("fields with no neutral meaning are listed by path; hints are not")
    func listsUntranslatableFields() throws {
        let body = #"{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}],"seed":1,"logprobs":true,"metadata":{"a":"b"},"store":true}"#
        let request = try OpenAIRequestReader.read(Array(body.utf8))
        #expect(request.untranslatable == ["messages[0].content[0]", "seed", "logprobs"])
        #expect(throws: WireError("'messages[0].content[0]' cannot be sent to an OpenAI-dialect provider of this model.", param: "messages[0].content[0]")) {
            try OpenAIRequestWriter.body(for: request, model: "x")
        }
    }

    @Test("reading refuses a tool message without tool_call_id and a wrongly typed field, naming them")
    func readingRefusals() {
        #expect(throws: WireError("Missing required parameter: 'messages[0].tool_call_id'.", param: "messages[0].tool_call_id")) {
            try OpenAIRequestReader.read(Array(#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#.utf8))
        }
        #expect(throws: WireError("'temperature' has the wrong type.", param: "temperature")) {
            try OpenAIRequestReader.read(Array(#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#.utf8))
        }
    }

    @Test("the neutral form written back is an OpenAI body with the same content, streaming with usage")
    func writesBack() throws {
        let request = try OpenAIRequestReader.read(Array(Self.richRequest.utf8))
        let body = try OpenAIRequestWriter.body(for: request, model: "upstream-m")
        let object = try #require(Self.json(body))
        #expect(object["model"] as? String == "upstream-m")
        #expect(object["stream"] as? Bool == true)
        #expect((object["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(object["max_completion_tokens"] as? Int == 300)
        #expect(object["n"] as? Int == 2)
        #expect(object["stop"] as? [String] == ["END"])
        #expect(object["reasoning_effort"] as? String == "high")
        #expect(object["parallel_tool_calls"] as? Bool == false)
        let messages = try #require(object["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["system", "user", "assistant", "tool"])
        #expect(messages[0]["content"] as? String == "Be brief.\n\nAnswer in English.")
        let parts = try #require(messages[1]["content"] as? [[String: Any]])
        #expect((parts[1]["image_url"] as? [String: Any])?["url"] as? String == "data:image/png;base64,iVBORw0KGgo=")
        let call = try #require((messages[2]["tool_calls"] as? [[String: Any]])?.first?["function"] as? [String: Any])
        #expect(call["arguments"] as? String == #"{"q":"cat"}"#)
        #expect(messages[3]["tool_call_id"] as? String == "call_1")
        #expect(messages[3]["content"] as? String == "a cat")
        // The temperature is the client's text, not a Double's rendering of it.
        #expect(String(buffer: body).contains(#""temperature":0.70"#))
    }

    @Test("writing refuses top_k and images in tool results, naming the field")
    func writingRefusals() {
        #expect(throws: WireError("'top_k' cannot be sent to an OpenAI-dialect provider of this model.", param: "top_k")) {
            try OpenAIRequestWriter.body(for: ChatRequest(model: "m", messages: [ChatMessage(role: .user, parts: [.text("x")])], topK: 5), model: "m")
        }
        let imageResult = ChatRequest(model: "m", messages: [
            ChatMessage(role: .user, parts: [.toolResult(id: "c", name: "t", content: [.image(.url("https://x/y.png"))], isError: false)])
        ])
        #expect(throws: WireError.self) { try OpenAIRequestWriter.body(for: imageResult, model: "m") }
    }

    @Test("neutral events become OpenAI chunks that the OpenAI decoder reads back to the same events")
    func chunkEncoderRoundTrip() throws {
        let events: [StreamEvent] = [
            .start(id: "msg_1", model: "claude", created: 0),
            .role(choice: 0, role: "assistant"),
            .reasoning(choice: 0, text: "thinking…"),
            .reasoningSignature(choice: 0, signature: "sig"),
            .text(choice: 0, text: "Hello \"world\""),
            .toolCall(choice: 0, index: 0, id: "toolu_1", name: "lookup", arguments: ""),
            .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: #"{"q":"#),
            .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: #""x"}"#),
            .finish(choice: 0, reason: "tool_calls"),
            .usage(TokenUsage(promptTokens: 20, completionTokens: 7, cacheReadTokens: 5, reasoningTokens: 3)),
        ]
        var encoder = OpenAIChunkEncoder(fallbackID: "chatcmpl-x", model: "demo", includeUsage: true)
        var output = ByteBuffer()
        for event in events { encoder.encode(event, into: &output) }
        encoder.finish(into: &output)
        var parser = SSEParser()
        var decoder = OpenAIStreamDecoder()
        var decoded: [StreamEvent] = []
        var done = false
        try parser.parse(Array(output.readableBytesView)) { event in
            switch try decoder.decode(event) {
            case .frame(let frame): decoded += frame.events
            case .done: done = true
            case .skip: break
            }
        }
        #expect(done)
        var expected = events.filter { if case .reasoningSignature = $0 { false } else { true } }
        expected[0] = .start(id: "msg_1", model: "demo", created: 0)
        // The decoder reads `created` back as the encoder's clock wrote it.
        if case .start(_, _, let created) = decoded.first { expected[0] = .start(id: "msg_1", model: "demo", created: created) }
        #expect(decoded == expected)
        #expect(decoder.isAnswerFinished)
    }

    @Test("the usage chunk is left out when the client did not ask for it")
    func usageChunkOnlyWhenAsked() {
        var encoder = OpenAIChunkEncoder(fallbackID: "c", model: "m", includeUsage: false)
        var output = ByteBuffer()
        encoder.encode(.usage(TokenUsage(promptTokens: 1, completionTokens: 1)), into: &output)
        #expect(output.readableBytes == 0)
    }
}

