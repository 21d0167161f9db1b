import EdgeRouter
import Foundation
import Testing

/// The official OpenAI Python SDK, unmodified but for base URL and key, against the router.
/// `scripts/test` installs it into `.build-python` and sets `EDGE_TEST_PYTHON`.
@Suite("Official OpenAI SDK", .timeLimit(.minutes(5)))
struct OpenAISDKTests {
    @Test("streaming, non-streaming and an error through the openai package", .enabled(if: PythonScript.python != nil))
    func pythonSDK() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let (status, text) = try await PythonScript.run("openai_sdk_check.py", arguments: [harness.base + "/v1", RouterHarness.clientKey])
            #expect(status == 0, "\(text)")
            #expect(text.contains("stream: The quick brown fox jumps over the lazy [8 tokens]"))
            #expect(text.contains("create: The quick brown fox jumps over the lazy [8 tokens]"))
            #expect(text.contains("error: NotFoundError 404 model_not_found"))
            #expect(text.contains("auth: AuthenticationError 401"))
        }
    }
}
