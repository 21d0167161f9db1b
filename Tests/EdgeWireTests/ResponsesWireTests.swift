@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("Responses API: request reader, stream encoder, assembler", .timeLimit(.minutes(5)))
struct ResponsesWireTests {
    static func read(_ json: String) throws -> ResponsesRequest {
        try ResponsesRequestReader.read(Array(json.utf8))
    }

    static func refusal(_ json: String) -> WireError? {
        do {
            _ = try read(json)
            return nil
        } catch let error as WireError {
            return error
        } catch {
            return nil
        }
    }

    static let identity = ResponsesIdentity(responseID: "resp_r1", itemBase: "r1", model: "m", createdAt: 1_700_000_000)

    /// The `data:` objects of an encoded stream, with the `event:` line each had.
    static func events(_ buffer: ByteBuffer) throws -> [(event: String, data: [String: Any])] {
        let text = String(buffer: buffer)
        #expect(text.hasSuffix("\n\n"))
        return try text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { frame in
            let lines = frame.split(separator: "\n")
            #expect(lines.count == 2, "\(frame)")
            let event = String(lines[0].dropFirst("event: ".count))
            let object = try JSONSerialization.jsonObject(with: Data(lines[1].dropFirst("data: ".count).utf8)) as? [String: Any]
            return (event, try #require(object))
        }
    }

    static func encode(_ events: [StreamEvent]) -> (ByteBuffer, ResponsesAssembler) {
        var encoder = ResponsesStreamEncoder(identity: identity)
        var output = ByteBuffer()
        for event in events { encoder.encode(event, into: &output) }
        encoder.finish(into: &output)
        return (output, encoder.assembler)
    }

    // MARK: Reader

    @Test("a string input is one user message; instructions lead the system prompt; sampling and limits carried as written")
    func stringInput() throws {
        let request = try Self.read(
            #"{"model":"m","input":"Hi","instructions":"Be brief.","max_output_tokens":50,"temperature":0.7,"top_p":0.9,"stream":true,"store":false,"metadata":{"a":"b"},"user":"u1"}"#)
        #expect(request.chat.model == "m" && request.chat.stream && !request.store)
        #expect(request.chat.system == ["Be brief."])
        #expect(request.chat.messages == [ChatMessage(role: .user, parts: [.text("Hi")])])
        #expect(request.chat.maxTokens == 50)
        #expect(request.chat.temperature == RawJSON("0.7") && request.chat.topP == RawJSON("0.9"))
        #expect(request.echo.metadata == RawJSON(#"{"a":"b"}"#) && request.echo.user == "u1")
    }

    @Test("input items: messages with text and image parts, developer text to the system prompt, function calls and outputs paired by call id with the tool's name")
    func inputItems() throws {
        let request = try Self.read(
            """
            {"model":"m","input":[
              {"role":"developer","content":"Use tools."},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather?"},{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]},
              {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me look."}]},
              {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"},
              {"type":"function_call","call_id":"c2","name":"get_time","arguments":"{}"},
              {"type":"function_call_output","call_id":"c1","output":"sunny"},
              {"type":"function_call_output","call_id":"c2","output":[{"type":"input_text","text":"noon"}]},
              {"type":"reasoning","id":"rs_1","summary":[]}
            ]}
            """)
        #expect(request.chat.system == ["Use tools."])
        #expect(
            request.chat.messages == [
                ChatMessage(role: .user, parts: [.text("Weather?"), .image(.base64(mediaType: "image/png", data: "AAAA"))]),
                ChatMessage(
                    role: .assistant,
                    parts: [
                        .text("Let me look."), .toolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Paris"}"#),
                        .toolCall(id: "c2", name: "get_time", arguments: "{}"),
                    ]),
                ChatMessage(
                    role: .user,
                    parts: [
                        .toolResult(id: "c1", name: "get_weather", content: [.text("sunny")], isError: false),
                        .toolResult(id: "c2", name: "get_time", content: [.text("noon")], isError: false),
                    ]),
            ])
    }

    @Test("function tools (flat), a named tool choice, reasoning effort and a JSON schema text format are read into the neutral request")
    func toolsAndOptions() throws {
        let request = try Self.read(
            #"{"model":"m","input":"x","tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"},"strict":true}],"tool_choice":{"type":"function","name":"f"},"parallel_tool_calls":false,"reasoning":{"effort":"low","summary":"auto"},"text":{"format":{"type":"json_schema","name":"s","schema":{"type":"object"},"strict":true}}}"#)
        #expect(request.chat.tools == [ToolDefinition(name: "f", description: "d", parameters: RawJSON(#"{"type":"object"}"#))])
        #expect(request.chat.toolChoice == .tool(name: "f") && request.chat.parallelToolCalls == false)
        #expect(request.chat.reasoning == ReasoningRequest(effort: "low"))
        #expect(request.chat.responseFormat == .jsonSchema(name: "s", schema: RawJSON(#"{"type":"object"}"#), strict: true))
        #expect(request.echo.toolChoice == RawJSON(#"{"type":"function","name":"f"}"#))
    }

    @Test("what no provider can carry is refused naming the field: built-in tools, background, unknown items and parts, file ids; a missing model or input too")
    func refusals() {
        #expect(Self.refusal(#"{"model":"m","input":"x","tools":[{"type":"web_search"}]}"#)?.param == "tools[0].type")
        #expect(Self.refusal(#"{"model":"m","input":"x","background":true}"#)?.param == "background")
        #expect(Self.refusal(#"{"model":"m","input":[{"type":"item_reference","id":"x"}]}"#)?.param == "input[0].type")
        #expect(Self.refusal(#"{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}"#)?.param == "input[0].content[0].type")
        #expect(Self.refusal(#"{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]}"#)?.param == "input[0].content[0].file_id")
        #expect(Self.refusal(#"{"model":"m","input":"x","tool_choice":{"type":"web_search_preview"}}"#)?.param == "tool_choice.type")
        #expect(Self.refusal(#"{"input":"x"}"#)?.param == "model")
        #expect(Self.refusal(#"{"model":"m"}"#)?.param == "input")
        #expect(Self.refusal(#"{"model":"m","input":"x","max_output_tokens":0}"#)?.param == "max_output_tokens")
        #expect(Self.refusal(#"{"model":"m","input":5}"#)?.param == "input")
        #expect(Self.refusal(#"{"model":"m","input":"x""#)?.message == "The request body is not valid JSON.")
        #expect(Self.refusal("[1]")?.message == "The request body must be a JSON object.")
    }

    @Test("previous_response_id alone is enough input; the stored conversation goes first and names the tools its calls used")
    func prependingHistory() throws {
        let request = try Self.read(
            #"{"model":"m","previous_response_id":"resp_1","input":[{"type":"function_call_output","call_id":"c1","output":"sunny"}]}"#)
        #expect(request.previousResponseID == "resp_1")
        let history = [
            ChatMessage(role: .user, parts: [.text("Weather?")]),
            ChatMessage(role: .assistant, parts: [.toolCall(id: "c1", name: "get_weather", arguments: "{}")]),
        ]
        let whole = request.prepending(history: history)
        #expect(whole.messages.count == 3)
        #expect(whole.messages[2] == ChatMessage(role: .user, parts: [.toolResult(id: "c1", name: "get_weather", content: [.text("sunny")], isError: false)]))
        #expect(try Self.read(#"{"model":"m","previous_response_id":"resp_1"}"#).chat.messages.isEmpty)
    }

    // MARK: Encoder

    @Test("text: created, in_progress, item and part added, deltas, text done, part done, item done, completed; sequence numbers 1, 2, 3… without a gap")
    func textStream() throws {
        let (output, assembler) = Self.encode([
            .start(id: "x", model: "up", created: 1), .role(choice: 0, role: "assistant"), .text(choice: 0, text: ""),
            .text(choice: 0, text: "Hel"), .text(choice: 0, text: "lo"), .finish(choice: 0, reason: "stop"),
            .usage(TokenUsage(promptTokens: 10, completionTokens: 2, cacheReadTokens: 4, reasoningTokens: 0)),
        ])
        let events = try Self.events(output)
        #expect(
            events.map(\.event) == [
                "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.completed",
            ])
        #expect(events.map { $0.data["type"] as? String } == events.map { $0.event })
        #expect(events.map { $0.data["sequence_number"] as? Int } == Array(1...events.count))
        #expect(events[4].data["item_id"] as? String == "msg_r1_0" && events[4].data["delta"] as? String == "Hel")
        #expect(events[6].data["text"] as? String == "Hello")
        let completed = try #require(events.last?.data["response"] as? [String: Any])
        #expect(completed["id"] as? String == "resp_r1" && completed["status"] as? String == "completed")
        let usage = try #require(completed["usage"] as? [String: Any])
        #expect(usage["input_tokens"] as? Int == 10 && usage["output_tokens"] as? Int == 2 && usage["total_tokens"] as? Int == 12)
        #expect((usage["input_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == 4)
        let created = try #require(events.first?.data["response"] as? [String: Any])
        #expect(created["status"] as? String == "in_progress" && (created["output"] as? [Any])?.isEmpty == true)
        #expect(assembler.outputMessage == ChatMessage(role: .assistant, parts: [.text("Hello")]))
    }

    @Test("reasoning becomes a reasoning item with a summary before the message; a tool call a function_call item with its argument deltas")
    func reasoningAndToolCall() throws {
        let (output, assembler) = Self.encode([
            .reasoning(choice: 0, text: "Think"), .reasoning(choice: 0, text: "ing"), .text(choice: 0, text: "Calling."),
            .toolCall(choice: 0, index: 0, id: "call_9", name: "get_weather", arguments: ""),
            .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: #"{"city":"#),
            .toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: #""Paris"}"#),
            .toolCall(choice: 0, index: 1, id: "", name: "get_time", arguments: "{}"),
            .finish(choice: 0, reason: "tool_calls"),
            .usage(TokenUsage(promptTokens: 5, completionTokens: 9, reasoningTokens: 3)),
        ])
        let events = try Self.events(output)
        #expect(
            events.map(\.event) == [
                "response.created", "response.in_progress",
                "response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
                "response.output_item.done",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
                "response.content_part.done", "response.output_item.done",
                "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                "response.function_call_arguments.done", "response.output_item.done",
                "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done",
                "response.output_item.done", "response.completed",
            ])
        #expect(events.map { $0.data["sequence_number"] as? Int } == Array(1...events.count))
        let done = events.filter { $0.event == "response.function_call_arguments.done" }
        #expect(done.first?.data["arguments"] as? String == #"{"city":"Paris"}"# && done.first?.data["name"] as? String == "get_weather")
        #expect(
            assembler.items == [
                .reasoning(id: "rs_r1_0", summary: "Thinking"), .message(id: "msg_r1_1", text: "Calling."),
                .functionCall(id: "fc_r1_2", callID: "call_9", name: "get_weather", arguments: #"{"city":"Paris"}"#),
                .functionCall(id: "fc_r1_3", callID: "call_r1_1", name: "get_time", arguments: "{}"),
            ])
        let completed = try #require(events.last?.data["response"] as? [String: Any])
        let usage = try #require(completed["usage"] as? [String: Any])
        #expect((usage["output_tokens_details"] as? [String: Any])?["reasoning_tokens"] as? Int == 3)
        #expect((completed["output"] as? [[String: Any]])?.map { $0["type"] as? String } == ["reasoning", "message", "function_call", "function_call"])
    }

    @Test("a length stop ends with response.incomplete (reason max_output_tokens); a provider error with response.failed")
    func incompleteAndFailed() throws {
        let (cut, _) = Self.encode([.text(choice: 0, text: "Hi"), .finish(choice: 0, reason: "length")])
        let last = try #require(try Self.events(cut).last)
        #expect(last.event == "response.incomplete")
        let response = try #require(last.data["response"] as? [String: Any])
        #expect((response["incomplete_details"] as? [String: Any])?["reason"] as? String == "max_output_tokens")

        var encoder = ResponsesStreamEncoder(identity: Self.identity)
        var output = ByteBuffer()
        encoder.encode(.text(choice: 0, text: "Hi"), into: &output)
        encoder.fail(message: "upstream broke", code: "server_error", into: &output)
        encoder.finish(into: &output)  // nothing more once ended
        let events = try Self.events(output)
        #expect(events.last?.event == "response.failed" && events.filter { $0.event.hasPrefix("response.failed") }.count == 1)
        #expect(events.contains { $0.event == "response.output_item.done" })
        let failed = try #require(events.last?.data["response"] as? [String: Any])
        #expect((failed["error"] as? [String: Any])?["message"] as? String == "upstream broke")
    }

    @Test("the non-streaming answer is the completed response object with the request's fields repeated")
    func wholeAnswer() throws {
        var echo = ResponsesEcho()
        echo.instructions = "Be brief."
        echo.temperature = RawJSON("0.5")
        echo.tools = RawJSON(#"[{"type":"function","name":"f"}]"#)
        var assembler = ResponsesAssembler(
            identity: ResponsesIdentity(responseID: "resp_r2", itemBase: "r2", model: "m", createdAt: 7, previousResponseID: "resp_r1", store: false, echo: echo))
        for event: StreamEvent in [.text(choice: 0, text: "Hello"), .finish(choice: 0, reason: "stop"), .usage(TokenUsage(promptTokens: 1, completionTokens: 1))] {
            assembler.consume(event)
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: assembler.answerJSON(fallbackModel: "", fallbackID: "")).utf8)) as? [String: Any])
        #expect(object["object"] as? String == "response" && object["status"] as? String == "completed")
        #expect(object["instructions"] as? String == "Be brief." && object["temperature"] as? Double == 0.5)
        #expect(object["previous_response_id"] as? String == "resp_r1" && object["store"] as? Bool == false)
        #expect((object["tools"] as? [[String: Any]])?.first?["name"] as? String == "f")
        let message = try #require((object["output"] as? [[String: Any]])?.first)
        #expect(((message["content"] as? [[String: Any]])?.first)?["text"] as? String == "Hello")
        #expect(assembler.assembledBytes == 5)
    }
}
