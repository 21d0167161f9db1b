import NIOCore
@testable import ProviderSim
import Testing

/// The byte writers on the hot path produce exactly what `OpenAIWire` (the reference format) produces.
@Suite("Wire rendering", .timeLimit(.minutes(5)))
struct WireRenderingTests {
    static let models = ["bench", #"a"quoted"\model"#, "tab\tnew\nline\r\u{1}\u{1f}", "é😀模型", ""]

    @Test("a non-streamed body is OpenAIWire.completion's text", arguments: models, [0, 1, 16, 40])
    func completion(model: String, tokens: Int) {
        var buffer = ByteBuffer()
        ChatCompletionBody.write(id: "chatcmpl-sim7", model: model, created: 1_700_000_000, answerTokens: tokens, promptTokens: 12, into: &buffer)
        let expected = OpenAIWire.completion(
            id: "chatcmpl-sim7", model: model, created: 1_700_000_000, content: (0..<tokens).map(OpenAIWire.token).joined(),
            prompt: 12, completion: tokens)
        #expect(String(buffer: buffer) == expected)
    }

    @Test("stream frames are OpenAIWire.chunk's text in HTTP chunks", arguments: models, [false, true])
    func frames(model: String, includeUsage: Bool) {
        let frames = ChatStreamFrames(
            id: "chatcmpl-sim3", model: model, created: 42, includeUsage: includeUsage, promptTokens: 5, answerTokens: 18,
            malformed: [])
        var role = ByteBuffer()
        frames.writeRole(into: &role)
        let roleText = "data: " + OpenAIWire.chunk(
            id: "chatcmpl-sim3", model: model, created: 42, delta: #"{"role":"assistant","content":""}"#, includeUsageNull: includeUsage) + "\n\n"
        #expect(String(buffer: role) == String(roleText.utf8.count, radix: 16) + "\r\n" + roleText + "\r\n")

        var buffer = ByteBuffer()
        frames.write(tokens: 15..<18, finish: true, into: &buffer)
        #expect(buffer.readableBytes == frames.size(tokens: 15..<18, finish: true))
        var payload = (15..<18).map {
            "data: " + OpenAIWire.chunk(
                id: "chatcmpl-sim3", model: model, created: 42, delta: #"{"content":"\#(OpenAIWire.escape(OpenAIWire.token($0)))"}"#,
                includeUsageNull: includeUsage) + "\n\n"
        }.joined()
        payload += "data: " + OpenAIWire.chunk(
            id: "chatcmpl-sim3", model: model, created: 42, delta: "{}", finishReason: "stop", includeUsageNull: includeUsage) + "\n\n"
        if includeUsage {
            payload += "data: " + OpenAIWire.usageChunk(id: "chatcmpl-sim3", model: model, created: 42, prompt: 5, completion: 18) + "\n\n"
        }
        payload += "data: [DONE]\n\n"
        #expect(String(buffer: buffer) == String(payload.utf8.count, radix: 16) + "\r\n" + payload + "\r\n0\r\n\r\n")
    }

    @Test("nothing due and no finish writes nothing")
    func empty() {
        let frames = ChatStreamFrames(
            id: "x", model: "m", created: 0, includeUsage: false, promptTokens: 1, answerTokens: 4, malformed: [])
        var buffer = ByteBuffer()
        frames.write(tokens: 2..<2, finish: false, into: &buffer)
        #expect(buffer.readableBytes == 0)
        #expect(frames.size(tokens: 2..<2, finish: false) == 0)
    }
}
