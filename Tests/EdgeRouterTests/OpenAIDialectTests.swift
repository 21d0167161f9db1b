@testable import EdgeJSON
@testable import EdgeRouter
@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("OpenAI dialect", .timeLimit(.minutes(5)))
struct OpenAIDialectTests {
    @Test("the upstream body keeps every client field, swaps the model and always streams with usage")
    func upstreamBody() throws {
        let request = try OpenAIChatRequest.parse(
            Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"tools":[{"type":"function"}],"stream":false,"stream_options":{"x":1},"future_field":{"a":[true]}}"#.utf8))
        #expect(request.model == "m")
        #expect(!request.stream)
        #expect(!request.includeUsage)
        let body = try #require(JSONSerialization.jsonObject(with: Data(request.upstreamBody(model: "gpt-4o").readableBytesView)) as? [String: Any])
        #expect(body["model"] as? String == "gpt-4o")
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["x"] as? Int == 1)
        #expect(body["temperature"] as? Double == 0.2)
        #expect((body["tools"] as? [Any])?.count == 1)
        #expect(((body["future_field"] as? [String: Any])?["a"] as? [Bool]) == [true])
    }

    static func decode(_ payloads: [String]) throws -> [UpstreamFrame] {
        var decoder = OpenAIStreamDecoder()
        return try payloads.compactMap { payload in
            if case .frame(let frame) = try decoder.decode(SSEEvent(data: Array(payload.utf8))) { return frame }
            return nil
        }
    }

    @Test("the role chunk is not the first token; content, tool calls and usage are recognised")
    func decoding() throws {
        let frames = try Self.decode([
            #"{"id":"c1","model":"gpt","created":5,"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            #"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
            #"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"get","arguments":"{\"a\""}}]}}]}"#,
            #"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},"finish_reason":"tool_calls"}]}"#,
            #"{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#,
            #"{"id":"c1","choices":null,"usage":null}"#,
        ])
        #expect(frames.map(\.hasContent) == [false, true, true, true, false, false])
        #expect(frames.map(\.isUsageOnly) == [false, false, false, false, true, false])
        #expect(frames[0].events == [.start(id: "c1", model: "gpt", created: 5), .role(choice: 0, role: "assistant")])

        var assembler = OpenAICompletionAssembler()
        frames.flatMap(\.events).forEach { assembler.consume($0) }
        let object = try #require(
            JSONSerialization.jsonObject(with: Data(assembler.answerJSON(fallbackModel: "x", fallbackID: "y").readableBytesView))
                as? [String: Any])
        #expect(object["id"] as? String == "c1")
        #expect(object["model"] as? String == "gpt")
        let choice = try #require((object["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "tool_calls")
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["content"] as? String == "Hel")
        let call = try #require((message["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["id"] as? String == "call_1")
        #expect((call["function"] as? [String: Any])?["arguments"] as? String == #"{"a":1}"#)
        #expect((object["usage"] as? [String: Any])?["total_tokens"] as? Int == 7)
    }

    @Test("[DONE], empty data, malformed frames and in-stream errors")
    func specialFrames() throws {
        var decoder = OpenAIStreamDecoder()
        guard case .done = try decoder.decode(SSEEvent(data: Array("[DONE]".utf8))) else { Issue.record("not done"); return }
        guard case .skip = try decoder.decode(SSEEvent(data: [])) else { Issue.record("not skipped"); return }
        #expect(throws: MalformedFrame.self) { try decoder.decode(SSEEvent(data: Array("{broken".utf8))) }
        let error = try Self.decode([#"{"error":{"message":"overloaded","type":"server_error"}}"#])
        #expect(error.first?.events == [.error(message: "overloaded", type: "server_error")])
    }

    @Test("error bodies have OpenAI's shape and carry the request id")
    func errorShape() throws {
        let body = ErrorResponse.openAIBody(
            EdgeRouterError(.invalidRequest, "Missing 'messages'.", param: "messages"), requestID: "abc123")
        let object = try #require(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["message"] as? String == "Missing 'messages'. (request id abc123)")
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["param"] as? String == "messages")
        #expect(error["code"] as? String == "invalid_request")
        for code in [EdgeRouterError.Code.unauthenticated, .modelNotAllowed, .modelNotFound, .payloadTooLarge, .allAttemptsFailed, .unavailable] {
            #expect([401, 403, 404, 413, 502, 503].contains(code.defaultStatus))
        }
    }
}
