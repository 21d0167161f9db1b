@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// A non-streaming answer assembled from an OpenAI provider's stream carries every field the provider's own
/// non-streaming answer would.
@Suite("OpenAI answers assembled without loss", .timeLimit(.minutes(1)))
struct OpenAILosslessAssemblyTests {
    static func fixture(_ name: String) throws -> Data {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/openai/\(name)")
        return try Data(contentsOf: url)
    }

    @Test("the recorded logprobs stream assembles to the recorded non-streaming answer, field for field")
    func logprobsStreamEqualsCompletion() throws {
        var parser = SSEParser()
        var decoder = OpenAIStreamDecoder()
        var assembler = OpenAICompletionAssembler()
        try parser.parse(Array(try Self.fixture("stream-logprobs.sse"))) { event in
            guard case .frame(let frame) = try decoder.decode(event) else { return }
            for event in frame.events { assembler.consume(event) }
            assembler.consumeProviderChunk(frame.payload)
        }
        let assembled = Data(assembler.answerJSON(fallbackModel: "x", fallbackID: "y").readableBytesView)
        let actual = try #require(try JSONSerialization.jsonObject(with: assembled) as? NSDictionary)
        let expected = try #require(try JSONSerialization.jsonObject(with: try Self.fixture("completion-logprobs.json")) as? NSDictionary)
        #expect(actual == expected, "\(String(decoding: assembled, as: UTF8.self))")
    }

    @Test("a refusal is the message's refusal, not its content")
    func refusalKeptApart() throws {
        var assembler = OpenAICompletionAssembler()
        for event: StreamEvent in [.role(choice: 0, role: "assistant"), .refusal(choice: 0, text: "I can't help with that."), .finish(choice: 0, reason: "stop")] {
            assembler.consume(event)
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(assembler.answerJSON(fallbackModel: "m", fallbackID: "i").readableBytesView)) as? [String: Any])
        let message = try #require(((object["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any])
        #expect(message["refusal"] as? String == "I can't help with that.")
        #expect(message["content"] is NSNull)
    }
}
