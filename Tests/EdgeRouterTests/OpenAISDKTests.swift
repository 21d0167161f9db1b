import EdgeRouter
import Foundation
import Testing

/// The official OpenAI Python SDK, unmodified but for base URL and key, against the router.
/// `scripts/test` installs it into `.build-python` and sets `EDGE_TEST_PYTHON`.
@Suite("Official OpenAI SDK", .timeLimit(.minutes(5)))
struct OpenAISDKTests {
    static let python = ProcessInfo.processInfo.environment["EDGE_TEST_PYTHON"]

    @Test("streaming, non-streaming and an error through the openai package", .enabled(if: python != nil))
    func pythonSDK() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/openai_sdk_check.py")
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.python!)
            process.arguments = [script.path, harness.base + "/v1", RouterHarness.clientKey]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            // A hung SDK call must not hang the suite: the process is stopped after two minutes (and the test fails).
            DispatchQueue.global().asyncAfter(deadline: .now() + 120) { if process.isRunning { process.terminate() } }
            // Reading and waiting block a thread: do it on Dispatch's, not on the cooperative pool that the
            // router in this same process needs in order to answer the SDK.
            let (status, text) = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
                }
            }
            #expect(status == 0, "\(text)")
            #expect(text.contains("stream: The quick brown fox jumps over the lazy"))
            #expect(text.contains("create: The quick brown fox jumps over the lazy"))
            #expect(text.contains("error: NotFoundError 404 model_not_found"))
            #expect(text.contains("auth: AuthenticationError 401"))
        }
    }
}
