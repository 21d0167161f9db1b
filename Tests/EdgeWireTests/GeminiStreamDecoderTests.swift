@testable import EdgeWire
import Foundation
import Testing

@Suite("Gemini stream decoder", .timeLimit(.minutes(5)))
struct GeminiStreamDecoderTests {
    @Test("the streamed text answer decodes to start, role, two text pieces, then stop and the usage of the last frame")
    func textStream() throws {
        let frames = try GeminiFixture.decode(try GeminiFixture.bytes("stream-text", "sse"))
        #expect(
            frames == [
                [
                    .start(id: "kXl3aP7qBOWo1dkP2sKBqA4", model: "gemini-2.5-flash", created: 0),
                    .role(choice: 0, role: "assistant"), .text(choice: 0, text: "The capital"),
                ],
                [.text(choice: 0, text: " of France is Paris — “la Ville Lumière”.")],
                [.finish(choice: 0, reason: "stop"), .usage(TokenUsage(promptTokens: 9, completionTokens: 15))],
            ])
    }

    @Test("the function-call answer decodes to two whole calls with synthesized ids, tool_calls, and usage with thoughts")
    func functionCallStream() throws {
        let frames = try GeminiFixture.decode(try GeminiFixture.bytes("stream-function-call", "sse"))
        #expect(
            frames == [
                [
                    .start(id: "Y3p3aKuXJfGo1dkPtd3J-Qc", model: "gemini-2.5-flash", created: 0),
                    .role(choice: 0, role: "assistant"),
                    .toolCall(
                        choice: 0, index: 0, id: "call_0", name: "get_weather",
                        arguments: #"{"location": "Boston, MA","unit": "celsius"}"#),
                    .toolCall(
                        choice: 0, index: 1, id: "call_1", name: "get_time", arguments: #"{"timezone": "America/New_York"}"#),
                    .finish(choice: 0, reason: "tool_calls"),
                    .usage(TokenUsage(promptTokens: 72, completionTokens: 87, reasoningTokens: 56)),
                ]
            ])
    }

    @Test("the thinking answer decodes thought parts to reasoning, then text; completion tokens include thoughts")
    func thinkingStream() throws {
        let frames = try GeminiFixture.decode(try GeminiFixture.bytes("stream-thinking", "sse"))
        #expect(
            frames == [
                [
                    .start(id: "3Hx3aI_fHcyo1dkPsbW0wQw", model: "gemini-2.5-pro", created: 0),
                    .role(choice: 0, role: "assistant"),
                    .reasoning(choice: 0, text: "**Counting the primes**\n\nI need the primes below 10: 2, 3, 5, 7.\n"),
                ],
                [.reasoning(choice: 0, text: "**Summing them**\n\n2 + 3 + 5 + 7 = 17.\n")],
                [.text(choice: 0, text: "The sum of the primes below 10 is **17**.")],
                [
                    .finish(choice: 0, reason: "stop"),
                    .usage(TokenUsage(promptTokens: 14, completionTokens: 396, reasoningTokens: 384)),
                ],
            ])
    }

    @Test("the non-streaming response decodes with cachedContentTokenCount as cache-read tokens")
    func cachedResponse() throws {
        let body = try GeminiFixture.bytes("response-cached", "json")
        let frames = try GeminiFixture.decode([SSEEvent(data: body)])
        let usage = TokenUsage(promptTokens: 70_412, completionTokens: 27, cacheReadTokens: 70_021)
        #expect(frames.count == 1)
        #expect(frames.first?.last == .usage(usage))
        #expect(frames.first?.contains(.finish(choice: 0, reason: "stop")) == true)
    }

    @Test("each fixture split at every byte offset gives the same events", arguments: GeminiFixture.streams)
    func splitAnywhere(name: String) throws {
        let body = try GeminiFixture.bytes(name, "sse")
        let whole = try GeminiFixture.decode(body)
        for offset in 0...body.count {
            let split = try GeminiFixture.decode(GeminiFixture.events([body[..<offset], body[offset...]]))
            #expect(split == whole, "split at \(offset)")
        }
    }

    @Test("usage is emitted exactly once per stream although every frame repeats it", arguments: GeminiFixture.streams)
    func usageOnce(name: String) throws {
        let events = try GeminiFixture.decode(try GeminiFixture.bytes(name, "sse")).flatMap { $0 }
        #expect(events.filter { if case .usage = $0 { true } else { false } }.count == 1)
    }

    @Test("usage seen before the finish is held and emitted with the finish; later usage frames emit nothing")
    func usageHeldUntilFinish() throws {
        var decoder = GeminiStreamDecoder()
        let frames = [
            #"{"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":1}}"#,
            #"{"candidates":[{"finishReason":"MAX_TOKENS"}]}"#,
            #"{"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2}}"#,
        ]
        var events: [[StreamEvent]] = []
        for frame in frames {
            guard case .frame(let decoded) = try decoder.decode(SSEEvent(data: Array(frame.utf8))) else {
                Issue.record("no frame")
                return
            }
            events.append(decoded.events)
        }
        #expect(events[1] == [.finish(choice: 0, reason: "length"), .usage(TokenUsage(promptTokens: 4, completionTokens: 1))])
        #expect(events[2] == [])
        #expect(decoder.isAnswerFinished)
    }

    @Test("the answer is finished only once every candidate has a finishReason; decode never returns done")
    func finishedWhenAllCandidatesFinish() throws {
        var decoder = GeminiStreamDecoder()
        let first = #"{"candidates":[{"content":{"parts":[{"text":"a"}]}},{"index":1,"content":{"parts":[{"text":"b"}]}}]}"#
        let second = #"{"candidates":[{"finishReason":"STOP"},{"index":1,"content":{"parts":[{"text":"c"}]}}]}"#
        let third = #"{"candidates":[{"index":1,"finishReason":"SAFETY"}],"usageMetadata":{"promptTokenCount":1}}"#
        _ = try decoder.decode(SSEEvent(data: Array(first.utf8)))
        #expect(!decoder.isAnswerFinished)
        _ = try decoder.decode(SSEEvent(data: Array(second.utf8)))
        #expect(!decoder.isAnswerFinished)
        guard case .frame(let last) = try decoder.decode(SSEEvent(data: Array(third.utf8))) else {
            Issue.record("no frame")
            return
        }
        #expect(last.events == [.finish(choice: 1, reason: "content_filter"), .usage(TokenUsage(promptTokens: 1, completionTokens: 0))])
        #expect(decoder.isAnswerFinished)
    }

    @Test("a refused prompt (promptFeedback.blockReason, no candidates) finishes choice 0 with content_filter")
    func blockedPrompt() throws {
        var decoder = GeminiStreamDecoder()
        let frame = #"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":7,"totalTokenCount":7}}"#
        guard case .frame(let decoded) = try decoder.decode(SSEEvent(data: Array(frame.utf8))) else {
            Issue.record("no frame")
            return
        }
        #expect(
            decoded.events == [
                .start(id: "", model: "", created: 0), .role(choice: 0, role: "assistant"),
                .finish(choice: 0, reason: "content_filter"), .usage(TokenUsage(promptTokens: 7, completionTokens: 0)),
            ])
        #expect(decoder.isAnswerFinished)
    }

    @Test("an error frame's first event is the error, with the status as its type; the answer is not finished")
    func errorFrame() throws {
        var decoder = GeminiStreamDecoder()
        let frame = #"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#
        guard case .frame(let decoded) = try decoder.decode(SSEEvent(data: Array(frame.utf8))) else {
            Issue.record("no frame")
            return
        }
        #expect(decoded.events.first == .error(message: "The model is overloaded.", type: "UNAVAILABLE"))
        #expect(!decoder.isAnswerFinished)
    }

    @Test("finish reasons map: MAX_TOKENS length, SAFETY family content_filter, STOP stop, OTHER and the rest stop")
    func finishReasons() throws {
        let cases = [
            ("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter"),
            ("BLOCKLIST", "content_filter"), ("PROHIBITED_CONTENT", "content_filter"), ("SPII", "content_filter"),
            ("IMAGE_SAFETY", "content_filter"), ("OTHER", "stop"), ("MALFORMED_FUNCTION_CALL", "stop"),
            ("LANGUAGE", "stop"),
        ]
        for (gemini, neutral) in cases {
            var decoder = GeminiStreamDecoder()
            let frame = #"{"candidates":[{"finishReason":"\#(gemini)"}]}"#
            guard case .frame(let decoded) = try decoder.decode(SSEEvent(data: Array(frame.utf8))) else {
                Issue.record("no frame")
                continue
            }
            #expect(decoded.events.last == .finish(choice: 0, reason: neutral), "\(gemini)")
        }
    }

    @Test("unknown fields are ignored whatever they hold, at every level")
    func unknownFieldsIgnored() throws {
        var decoder = GeminiStreamDecoder()
        let frame = #"""
            {"future":{"a":[1,{"b":null}],"c":"d"},"candidates":[{"citationMetadata":{"citations":[]},"content":
            {"parts":[{"text":"hi","partMetadata":{"x":1}},{"executableCode":{"code":"print(1)"}}],"role":"model","x":2},
            "index":0,"groundingMetadata":{}}],"usageMetadata":{"trafficType":"ON_DEMAND","toolUsePromptTokenCount":3},
            "createTime":"2026-01-01T00:00:00Z","sdkHttpResponse":null}
            """#
        guard case .frame(let decoded) = try decoder.decode(SSEEvent(data: Array(frame.utf8))) else {
            Issue.record("no frame")
            return
        }
        #expect(decoded.events == [.start(id: "", model: "", created: 0), .role(choice: 0, role: "assistant"), .text(choice: 0, text: "hi")])
    }

    @Test("garbage, non-JSON and fields of the wrong type throw MalformedFrame")
    func malformed() {
        let frames = [
            "not json", "{", "[1,2]", #""text""#, "42", #"{"candidates":{}}"#, #"{"candidates":[{"index":"0"}]}"#,
            #"{"candidates":[{"index":1.5}]}"#, #"{"candidates":[{"index":99999999999999999999}]}"#,
            #"{"usageMetadata":{"promptTokenCount":"9"}}"#, #"{"candidates":[{"content":{"parts":[{"text":5}]}}]}"#,
            #"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"x","args":[1]}}]}}]}"#,
            #"{"candidates":[{"content":{"parts":[{"thought":"yes","text":"a"}]}}]}"#,
            #"{"modelVersion":1}"#, #"{"candidates":[{"finishReason":true}]}"#, #"{"a":1} trailing"#,
        ]
        for frame in frames {
            var decoder = GeminiStreamDecoder()
            #expect(throws: MalformedFrame.self, "\(frame)") { try decoder.decode(SSEEvent(data: Array(frame.utf8))) }
        }
    }

    @Test("mutated fixture frames either decode or throw MalformedFrame, never trap")
    func mutationsNeverTrap() throws {
        var random = SystemRandomNumberGenerator()
        for name in GeminiFixture.streams {
            let events = try GeminiFixture.events([try GeminiFixture.bytes(name, "sse")[...]])
            for event in events {
                for _ in 0..<200 {
                    var data = event.data
                    for _ in 0..<Int.random(in: 1...4, using: &random) {
                        let position = Int.random(in: 0..<data.count, using: &random)
                        switch Int.random(in: 0..<3, using: &random) {
                        case 0: data[position] = UInt8.random(in: 0...255, using: &random)
                        case 1: data.remove(at: position)
                        default: data.insert(Array(#"{}[]",:0-9e"#.utf8).randomElement(using: &random) ?? 0, at: position)
                        }
                        if data.isEmpty { break }
                    }
                    var decoder = GeminiStreamDecoder()
                    _ = try? decoder.decode(SSEEvent(data: data))
                }
            }
        }
    }
}
