@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("Gemini stream encoder and answer assembler", .timeLimit(.minutes(5)))
struct GeminiStreamEncoderTests {
    static func encode(_ events: [StreamEvent], framing: GeminiStreamEncoder.Framing) -> [UInt8] {
        var encoder = GeminiStreamEncoder(framing: framing, responseID: "resp-1", modelVersion: "gemini-x")
        var output = ByteBuffer()
        for event in events { encoder.encode(event, into: &output) }
        encoder.finish(into: &output)
        return Array(output.readableBytesView)
    }

    /// The fixtures' events, and a mix of everything with two choices.
    static func eventStreams() throws -> [[StreamEvent]] {
        var streams = try GeminiFixture.streams.map { try GeminiFixture.decode(try GeminiFixture.bytes($0, "sse")).flatMap { $0 } }
        streams.append([
            .start(id: "x", model: "m", created: 0), .role(choice: 0, role: "assistant"), .role(choice: 1, role: "assistant"),
            .reasoning(choice: 1, text: "hmm \"quoted\"\n"), .text(choice: 0, text: "é😀\u{1}"),
            .toolCall(choice: 1, index: 0, id: "call_a", name: "f", arguments: #"{"a":"#),
            .toolCall(choice: 1, index: 0, id: nil, name: nil, arguments: #"[1,2]}"#),
            .toolCall(choice: 0, index: 0, id: "call_b", name: "g", arguments: ""),
            .text(choice: 1, text: "done"), .finish(choice: 1, reason: "tool_calls"), .finish(choice: 0, reason: "length"),
            .usage(TokenUsage(promptTokens: 10, completionTokens: 30, cacheReadTokens: 4, reasoningTokens: 12)),
        ])
        return streams
    }

    /// What the decoder reads back, minus what the encoder legitimately changes: an empty arguments text becomes
    /// `{}`.
    static func normalized(_ content: GeminiContent) -> GeminiContent {
        var content = content
        for (choice, calls) in content.calls {
            content.calls[choice] = calls.map { call in
                var call = call
                if call.arguments.isEmpty { call.arguments = "{}" }
                return call
            }
        }
        return content
    }

    @Test("SSE framing: events -> frames the decoder reads back into the same text, reasoning, calls, finish and usage")
    func sseRoundTrip() throws {
        for events in try Self.eventStreams() {
            let bytes = Self.encode(events, framing: .sse)
            let decoded = try GeminiFixture.decode(bytes).flatMap { $0 }
            #expect(GeminiContent(decoded) == Self.normalized(GeminiContent(events)))
        }
    }

    @Test("JSON-array framing parses as one JSON array whose elements decode to the same content")
    func arrayRoundTrip() throws {
        for events in try Self.eventStreams() {
            let bytes = Self.encode(events, framing: .jsonArray)
            let array = try #require(GeminiFixture.json(bytes) as? [Any], "\(String(decoding: bytes, as: UTF8.self))")
            var frames: [SSEEvent] = []
            for element in array {
                frames.append(SSEEvent(data: Array(try JSONSerialization.data(withJSONObject: element))))
            }
            let decoded = try GeminiFixture.decode(frames).flatMap { $0 }
            #expect(GeminiContent(decoded) == Self.normalized(GeminiContent(events)))
        }
    }

    @Test("a small answer is written as exactly these SSE frames, finish reason and usage on the last")
    func exactSSE() {
        let bytes = Self.encode(
            [
                .start(id: "provider-id", model: "provider-model", created: 0), .role(choice: 0, role: "assistant"),
                .text(choice: 0, text: "Hi"), .finish(choice: 0, reason: "stop"),
                .usage(TokenUsage(promptTokens: 3, completionTokens: 2)),
            ], framing: .sse)
        let expected =
            #"data: {"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"index":0}],"modelVersion":"gemini-x","responseId":"resp-1"}"#
            + "\r\n\r\n"
            + #"data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5},"modelVersion":"gemini-x","responseId":"resp-1"}"#
            + "\r\n\r\n"
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }

    @Test("JSON-array framing: '[' before the first element, ',\\r\\n' between, ']' at the end; reasoning is a thought part")
    func exactArray() {
        let bytes = Self.encode(
            [.reasoning(choice: 0, text: "x"), .finish(choice: 0, reason: "tool_calls")], framing: .jsonArray)
        let expected =
            #"[{"candidates":[{"content":{"parts":[{"text":"x","thought":true}],"role":"model"},"index":0}],"modelVersion":"gemini-x","responseId":"resp-1"}"#
            + ",\r\n"
            + #"{"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"gemini-x","responseId":"resp-1"}]"#
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }

    @Test("an empty stream is [] in array framing and nothing in SSE framing")
    func emptyStream() {
        #expect(Self.encode([], framing: .jsonArray) == Array("[]".utf8))
        #expect(Self.encode([], framing: .sse).isEmpty)
    }

    @Test("tool call fragments are written whole, with id, when their choice finishes; bad arguments become {}")
    func callsWrittenWhole() {
        var encoder = GeminiStreamEncoder(framing: .sse, responseID: "r", modelVersion: "m")
        var output = ByteBuffer()
        encoder.encode(.toolCall(choice: 0, index: 0, id: "call_1", name: "get", arguments: #"{"q":"#), into: &output)
        encoder.encode(.toolCall(choice: 0, index: 0, id: nil, name: nil, arguments: #""x"}"#), into: &output)
        encoder.encode(.toolCall(choice: 0, index: 1, id: nil, name: "cut", arguments: #"{"q":"#), into: &output)
        #expect(output.readableBytes == 0)
        encoder.encode(.finish(choice: 0, reason: "tool_calls"), into: &output)
        #expect(
            GeminiFixture.string(output)
                == #"data: {"candidates":[{"content":{"parts":[{"functionCall":{"id":"call_1","name":"get","args":{"q":"x"}}},{"functionCall":{"name":"cut","args":{}}}],"role":"model"},"index":0}],"modelVersion":"m","responseId":"r"}"#
                + "\r\n\r\n")
    }

    @Test("usage in the last frame: candidates exclude thoughts; cache and thought counts only when positive")
    func usageFields() {
        let bytes = Self.encode(
            [.usage(TokenUsage(promptTokens: 100, completionTokens: 50, cacheReadTokens: 60, reasoningTokens: 20))],
            framing: .sse)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"data: {"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":30,"totalTokenCount":150,"cachedContentTokenCount":60,"thoughtsTokenCount":20},"modelVersion":"gemini-x","responseId":"resp-1"}"#
                + "\r\n\r\n")
    }

    @Test("errorFrame: an SSE data frame with the error; in array framing an element with the error, then ']'")
    func errorFrames() {
        let sse = GeminiStreamEncoder.errorFrame(code: 503, message: "Overloaded", status: "UNAVAILABLE", framing: .sse)
        #expect(GeminiFixture.string(sse) == #"data: {"error":{"code":503,"message":"Overloaded","status":"UNAVAILABLE"}}"# + "\r\n\r\n")
        let array = GeminiStreamEncoder.errorFrame(code: 500, message: "x", status: "INTERNAL", framing: .jsonArray)
        #expect(GeminiFixture.string(array) == ",\r\n" + #"{"error":{"code":500,"message":"x","status":"INTERNAL"}}]"#)
        let first = GeminiStreamEncoder.errorFrame(code: 500, message: "x", status: "INTERNAL", framing: .jsonArray, first: true)
        #expect(GeminiFixture.json(first.readableBytesView) is [Any])
    }

    @Test("an error event mid-stream closes the array: the whole body is still one JSON array, finish adds nothing")
    func errorEventClosesArray() {
        let bytes = Self.encode([.text(choice: 0, text: "a"), .error(message: "broke", type: "UNAVAILABLE")], framing: .jsonArray)
        let array = GeminiFixture.json(bytes) as? [Any]
        #expect(array?.count == 2)
    }

    @Test("the assembled response reads back to the same content, candidates sorted by index")
    func assemblerRoundTrip() throws {
        for events in try Self.eventStreams() {
            var assembler = GeminiResponseAssembler()
            events.forEach { assembler.consume($0) }
            let body = Array(assembler.answerJSON(fallbackModel: "fb-model", fallbackID: "fb-id").readableBytesView)
            let decoded = try GeminiFixture.decode([SSEEvent(data: body)]).flatMap { $0 }
            #expect(GeminiContent(decoded) == Self.normalized(GeminiContent(events)))
        }
    }

    @Test("the assembled response of the cached fixture matches the fixture's text, finish reason, usage and ids")
    func assemblerMatchesFixture() throws {
        let fixture = try GeminiFixture.bytes("response-cached", "json")
        var assembler = GeminiResponseAssembler()
        try GeminiFixture.decode([SSEEvent(data: fixture)]).flatMap { $0 }.forEach { assembler.consume($0) }
        let mine = try #require(GeminiFixture.json(assembler.answerJSON(fallbackModel: "", fallbackID: "").readableBytesView) as? [String: Any])
        let theirs = try #require(GeminiFixture.json(fixture) as? [String: Any])
        for key in ["modelVersion", "responseId"] { #expect(mine[key] as? String == theirs[key] as? String) }
        let myUsage = try #require(mine["usageMetadata"] as? [String: Any])
        let theirUsage = try #require(theirs["usageMetadata"] as? [String: Any])
        for key in ["promptTokenCount", "candidatesTokenCount", "totalTokenCount", "cachedContentTokenCount"] {
            #expect(myUsage[key] as? Int == theirUsage[key] as? Int, "\(key)")
        }
        let myCandidate = try #require((mine["candidates"] as? [[String: Any]])?.first)
        let theirCandidate = try #require((theirs["candidates"] as? [[String: Any]])?.first)
        #expect(myCandidate["finishReason"] as? String == "STOP")
        let myParts = (myCandidate["content"] as? [String: Any])?["parts"] as? [[String: Any]]
        let theirParts = (theirCandidate["content"] as? [String: Any])?["parts"] as? [[String: Any]]
        #expect(myParts?.first?["text"] as? String == theirParts?.first?["text"] as? String)
    }

    @Test("a small answer assembles to exactly this JSON: thought part, text part, call, finish, usage, fallbacks")
    func assemblerExact() {
        var assembler = GeminiResponseAssembler()
        for event: StreamEvent in [
            .role(choice: 0, role: "assistant"), .reasoning(choice: 0, text: "th"), .reasoning(choice: 0, text: "ink"),
            .text(choice: 0, text: "Hel"), .text(choice: 0, text: "lo"),
            .toolCall(choice: 0, index: 0, id: "c1", name: "f", arguments: #"{"a":1}"#),
            .finish(choice: 0, reason: "tool_calls"), .usage(TokenUsage(promptTokens: 5, completionTokens: 7, reasoningTokens: 3)),
        ] { assembler.consume(event) }
        #expect(assembler.assembledBytes == 5 + 5 + 2 + 1 + 7)
        #expect(
            GeminiFixture.string(assembler.answerJSON(fallbackModel: "gemini-fb", fallbackID: "id-fb"))
                == #"{"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"Hello"},{"functionCall":{"id":"c1","name":"f","args":{"a":1}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":4,"totalTokenCount":12,"thoughtsTokenCount":3},"modelVersion":"gemini-fb","responseId":"id-fb"}"#)
    }

    @Test("error bodies are Google's shape, and HTTP statuses map to google.rpc code names")
    func errorBody() {
        #expect(
            String(decoding: GeminiErrorBody.json(code: 400, message: "Bad \"x\"", status: "INVALID_ARGUMENT"), as: UTF8.self)
                == #"{"error":{"code":400,"message":"Bad \"x\"","status":"INVALID_ARGUMENT"}}"#)
        let cases = [
            (400, "INVALID_ARGUMENT"), (401, "UNAUTHENTICATED"), (403, "PERMISSION_DENIED"), (404, "NOT_FOUND"),
            (408, "DEADLINE_EXCEEDED"), (413, "INVALID_ARGUMENT"), (429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"),
            (502, "UNAVAILABLE"), (503, "UNAVAILABLE"), (504, "DEADLINE_EXCEEDED"), (529, "UNAVAILABLE"),
        ]
        for (code, status) in cases { #expect(GeminiErrorBody.status(forHTTP: code) == status, "\(code)") }
    }
}
