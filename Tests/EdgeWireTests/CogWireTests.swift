@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("Cog dialect: input template, chat templates, stream and answer", .timeLimit(.minutes(5)))
struct CogWireTests {
    static let standard: [CogRequestWriter.Field] = [
        ("prompt", "{{prompt}}", false), ("system_prompt", "{{system}}", false), ("max_tokens", "{{max_tokens}}", false),
    ]

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        return try #require(object?["input"] as? [String: Any])
    }

    static func request(system: [String] = [], maxTokens: Int? = nil) -> ChatRequest {
        ChatRequest(
            model: "m", stream: true, system: system,
            messages: [
                ChatMessage(role: .user, parts: [.text("hi")]), ChatMessage(role: .assistant, parts: [.text("hello")]),
                ChatMessage(role: .user, parts: [.text("say hi to me")]),
            ], maxTokens: maxTokens)
    }

    @Test("the plain template renders User/Assistant lines ending with `Assistant:`; a lone {{max_tokens}} is an integer; the system prompt goes to its field")
    func standardTemplate() throws {
        let body = try CogRequestWriter.body(
            for: Self.request(system: ["be brief"], maxTokens: 7), fields: Self.standard, chatTemplate: .plain, defaultMaxTokens: 99, model: "x")
        let input = try Self.json(body)
        #expect(input["prompt"] as? String == "User: hi\nAssistant: hello\nUser: say hi to me\nAssistant:")
        #expect(input["system_prompt"] as? String == "be brief")
        #expect(input["max_tokens"] as? Int == 7)
    }

    @Test("without a system prompt the lone {{system}} field is left out; without max_tokens the model's default is sent; without {{system}} in the template the system prompt opens the prompt")
    func omissionsAndDefaults() throws {
        let input = try Self.json(
            try CogRequestWriter.body(for: Self.request(), fields: Self.standard, chatTemplate: .plain, defaultMaxTokens: 99, model: "x"))
        #expect(input["system_prompt"] == nil)
        #expect(input["max_tokens"] as? Int == 99)
        let noSystemField: [CogRequestWriter.Field] = [("prompt", "{{prompt}}", false), ("temperature", "{{temperature}}", false)]
        let other = try Self.json(
            try CogRequestWriter.body(
                for: Self.request(system: ["be brief"]), fields: noSystemField, chatTemplate: .chatml, defaultMaxTokens: 1, model: "x"))
        #expect(
            other["prompt"] as? String
                == "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nsay hi to me<|im_end|>\n<|im_start|>assistant\n")
        #expect(other["temperature"] == nil)
    }

    @Test("placeholders inside longer text are written in as text; literals are sent as written; temperature keeps the client's number")
    func mixedFields() throws {
        var request = Self.request()
        request.temperature = RawJSON("0.7")
        let fields: [CogRequestWriter.Field] = [
            ("question", "Q: {{last_user}} ({{model}})", false), ("top_k", "50", true), ("stream_it", "true", true),
            ("temperature", "{{temperature}}", false),
        ]
        let body = try CogRequestWriter.body(for: request, fields: fields, chatTemplate: .llama3, defaultMaxTokens: 1, model: "echo")
        let text = String(buffer: body)
        #expect(text == #"{"input":{"question":"Q: say hi to me (echo)","top_k":50,"stream_it":true,"temperature":0.7}}"#)
    }

    @Test("tools, images and several choices are refused naming the field")
    func refusals() throws {
        var tools = Self.request()
        tools.tools = [ToolDefinition(name: "f")]
        #expect(throws: WireError.self) {
            try CogRequestWriter.body(for: tools, fields: Self.standard, chatTemplate: .plain, defaultMaxTokens: 1, model: "x")
        }
        var image = Self.request()
        image.messages[0].parts.append(.image(.url("https://example.com/a.png")))
        do {
            _ = try CogRequestWriter.body(for: image, fields: Self.standard, chatTemplate: .plain, defaultMaxTokens: 1, model: "x")
            Issue.record("an image was accepted")
        } catch {
            #expect(error.param == "messages[0].content[1]")
        }
        var choices = Self.request()
        choices.choiceCount = 2
        #expect(throws: WireError.self) {
            try CogRequestWriter.body(for: choices, fields: Self.standard, chatTemplate: .plain, defaultMaxTokens: 1, model: "x")
        }
        #expect(CogTemplateText.unknownPlaceholders(in: "{{prompt}} {{ nope }}") == ["nope"])
    }

    /// A stream as Cog 0.23.1 sent it (captured from `PUT /predictions/myid-1` with `Accept: text/event-stream`).
    static let stream = """
        event: start
        data: {"id":"myid-1","status":"processing"}

        event: output
        data: {"chunk":"echo:","index":0}

        event: log
        data: {"source":"stdout","data":"hello"}

        event: output
        data: {"chunk":" say","index":1}

        event: completed
        data: {"id":"myid-1","logs":"","metrics":{"predict_time":0.21},"output":["echo:"," say"],"status":"succeeded"}


        """

    static func decode(_ text: String) throws -> (frames: [[StreamEvent]], finished: Bool) {
        var parser = SSEParser()
        var decoder = CogStreamDecoder()
        var frames: [[StreamEvent]] = []
        var failure: MalformedFrame?
        try Array(text.utf8).withUnsafeBytes { bytes in
            try parser.parse(bytes) { event in
                do {
                    if case .frame(let frame) = try decoder.decode(event) { frames.append(frame.events) }
                } catch {
                    failure = (error as? MalformedFrame) ?? MalformedFrame(detail: "\(error)")
                }
            }
        }
        if let failure { throw failure }
        return (frames, decoder.isAnswerFinished)
    }

    @Test("a stream decodes to start and role, one text piece per output event, logs skipped, then stop; the answer is finished")
    func streamDecodes() throws {
        let (frames, finished) = try Self.decode(Self.stream)
        #expect(
            frames == [
                [.start(id: "myid-1", model: "", created: 0), .role(choice: 0, role: "assistant")],
                [.text(choice: 0, text: "echo:")], [.text(choice: 0, text: " say")], [.finish(choice: 0, reason: "stop")],
            ])
        #expect(finished)
    }

    @Test("a canceled or failed prediction is a stream error and does not finish the answer; a data line that is not JSON is malformed")
    func streamFailures() throws {
        let canceled = try Self.decode("event: completed\ndata: {\"id\":\"a\",\"status\":\"canceled\",\"output\":[\"x\"]}\n\n")
        #expect(canceled.frames == [[.error(message: "the prediction was canceled", type: "canceled")]])
        #expect(!canceled.finished)
        let failed = try Self.decode("event: completed\ndata: {\"error\":\"boom\",\"status\":\"failed\"}\n\n")
        #expect(failed.frames == [[.error(message: "boom", type: "failed")]])
        #expect(throws: MalformedFrame.self) { try Self.decode("event: output\ndata: {\"chunk\":\n\n") }
    }

    @Test("a whole answer's array output is concatenated into one text; a non-string chunk is its JSON text")
    func wholeAnswer() throws {
        let events = try CogAnswerReader.events(
            Array(#"{"id":"w1","logs":"","metrics":{"predict_time":0.3},"output":["echo:"," a"],"status":"succeeded"}"#.utf8))
        #expect(
            events == [
                .start(id: "w1", model: "", created: 0), .role(choice: 0, role: "assistant"), .text(choice: 0, text: "echo: a"),
                .finish(choice: 0, reason: "stop"),
            ])
        let mixed = try CogAnswerReader.events(Array(#"{"output":[1,"a"],"status":"succeeded"}"#.utf8))
        #expect(mixed.contains(.text(choice: 0, text: #"[1,"a"]"#)))
        let failed = try CogAnswerReader.events(Array(#"{"status":"failed","error":"TypeError"}"#.utf8))
        #expect(failed == [.error(message: "TypeError", type: "failed")])
        let chunk = try Self.decode("event: output\ndata: {\"chunk\":{\"a\":1},\"index\":0}\n\n")
        #expect(chunk.frames.last == [.start(id: "", model: "", created: 0), .role(choice: 0, role: "assistant"), .text(choice: 0, text: #"{"a":1}"#)])
    }

    @Test("the health check's status is read; anything else is nil")
    func health() {
        let ready = Array(#"{"status":"READY","setup":{"status":"succeeded"}}"#.utf8)
        #expect(ready.withUnsafeBufferPointer { CogHealth.status(in: $0) } == "READY")
        let bad = Array(#"{"status":1}"#.utf8)
        #expect(bad.withUnsafeBufferPointer { CogHealth.status(in: $0) } == nil)
    }
}
