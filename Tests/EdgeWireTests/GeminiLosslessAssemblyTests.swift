@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// A non-streaming Gemini answer assembled from a Gemini provider's stream carries what the provider's own
/// non-streaming answer would: its last usage with every detail, finish reasons as sent, safety ratings.
@Suite("Gemini answers assembled without loss", .timeLimit(.minutes(1)))
struct GeminiLosslessAssemblyTests {
    static func assemble(_ stream: [UInt8], passThrough: Bool) throws -> [String: Any] {
        var parser = SSEParser()
        var decoder = GeminiStreamDecoder()
        var assembler = GeminiResponseAssembler()
        try parser.parse(stream) { event in
            guard case .frame(let frame) = try decoder.decode(event) else { return }
            for event in frame.events { assembler.consume(event) }
            if passThrough { assembler.consumeProviderFrame(frame.payload) }
        }
        let json = assembler.answerJSON(fallbackModel: "x", fallbackID: "y")
        return try #require(try JSONSerialization.jsonObject(with: Data(json.readableBytesView)) as? [String: Any], "\(String(buffer: json))")
    }

    @Test("the recorded text stream's answer has the last frame's whole usageMetadata, model version and response id")
    func lastUsageKept() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gemini/stream-text.sse")
        let stream = try Data(contentsOf: url)
        let frames = String(decoding: stream, as: UTF8.self).components(separatedBy: "\r\n\r\n").filter { $0.hasPrefix("data: ") }
        let lastFrame = try #require(frames.last)
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lastFrame.dropFirst(6).utf8)) as? [String: Any])
        let answer = try Self.assemble(Array(stream), passThrough: true)
        #expect((answer["usageMetadata"] as? NSDictionary) == (last["usageMetadata"] as? NSDictionary))
        #expect(answer["modelVersion"] as? String == last["modelVersion"] as? String)
        #expect(answer["responseId"] as? String == last["responseId"] as? String)
    }

    @Test("a candidate's safety ratings, citations and finish reason come through as sent; the text is whole")
    func candidateMembersKept() throws {
        let stream = Array("""
            data: {"candidates":[{"content":{"parts":[{"text":"Once"}],"role":"model"},"index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"NEGLIGIBLE"}]}],"modelVersion":"gemini-2.5-flash","responseId":"r1"}\r
            \r
            data: {"candidates":[{"content":{"parts":[{"text":" upon"}],"role":"model"},"finishReason":"RECITATION","index":0,"citationMetadata":{"citationSources":[{"startIndex":0,"endIndex":9,"uri":"https://example.com"}]}}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash","responseId":"r1"}\r
            \r

            """.utf8)
        let answer = try Self.assemble(stream, passThrough: true)
        let candidate = try #require((answer["candidates"] as? [[String: Any]])?.first)
        #expect(candidate["finishReason"] as? String == "RECITATION")
        #expect((candidate["safetyRatings"] as? [[String: Any]])?.first?["category"] as? String == "HARM_CATEGORY_HARASSMENT")
        #expect(candidate["citationMetadata"] is [String: Any])
        let parts = try #require((candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]])
        #expect(parts.compactMap { $0["text"] as? String }.joined() == "Once upon")

        let translated = try Self.assemble(stream, passThrough: false)
        let neutral = try #require((translated["candidates"] as? [[String: Any]])?.first)
        #expect(neutral["finishReason"] as? String == "SAFETY")
        #expect(neutral["safetyRatings"] == nil)
    }

    @Test("function-call parts come through as written, thoughtSignature included, for the client's next turn")
    func functionCallSignaturesKept() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gemini/stream-function-call.sse")
        let answer = try Self.assemble(Array(try Data(contentsOf: url)), passThrough: true)
        let candidate = try #require((answer["candidates"] as? [[String: Any]])?.first)
        let parts = try #require((candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]])
        let calls = parts.filter { $0["functionCall"] != nil }
        #expect(calls.count == 2)
        #expect(calls.first?["thoughtSignature"] is String)
    }
}
