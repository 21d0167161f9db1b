import EdgeRouter
import Foundation
import ProviderSim
import Testing

/// The official `openai` (`client.embeddings.create`, base64 by default and float) and `google-genai`
/// (`client.models.embed_content`) packages, unmodified but for base URL and key, against embedding models on an
/// OpenAI-dialect and a Gemini-dialect simulator.
@Suite("Official SDKs' embeddings against both provider dialects", .serialized, .timeLimit(.minutes(5)))
struct EmbeddingSDKTests {
    @Test(
        "openai's embeddings.create (base64 and float) and google-genai's embed_content read the same vectors from both dialects, dimensions passed on, errors as each SDK's own classes",
        .enabled(if: PythonScript.python != nil))
    func bothSDKsBothDialects() async throws {
        let models = ["e-openai", "e-gemini"]
        try await RouterHarness.run(
            sims: [EmbeddingsTests.sim(.openai), EmbeddingsTests.sim(.gemini)], yaml: { EmbeddingsTests.yaml($0) }
        ) { harness in
            let (status, text) = try await PythonScript.run(
                "embeddings_sdk_check.py", arguments: [harness.base, RouterHarness.clientKey] + models)
            #expect(status == 0, "\(text)")
            var alphas: Set<String> = []
            for model in models {
                for (prefix, shape) in [("openai base64: ", "2 x 8 alpha "), ("openai float: ", "alpha "), ("genai: ", "2 x 8 alpha ")] {
                    let line = text.split(separator: "\n").first { $0.hasPrefix("\(model) \(prefix)") }
                    let rest = try #require(line, "\(model) \(prefix): \(text)").dropFirst("\(model) \(prefix)".count)
                    #expect(rest.hasPrefix(shape), "\(line ?? "")")
                    alphas.insert(String(rest.dropFirst(shape.count)))
                }
                #expect(text.contains("\(model) openai dimensions: 5"), "\(text)")
                #expect(text.contains("\(model) genai dimensions: 5"), "\(text)")
            }
            #expect(alphas.count == 1, "every SDK, every provider, the same vector for 'alpha': \(alphas)")
            #expect(text.contains("openai error: NotFoundError 404"), "\(text)")
            #expect(text.contains("genai error: ClientError 404 NOT_FOUND"), "\(text)")
        }
    }

    @Test(
        "against the demo (its simulators and configuration): demo-embed answers openai's embeddings.create and google-genai's embed_content",
        .enabled(if: PythonScript.python != nil))
    func demoEmbed() async throws {
        try await DemoSDKTests.run { harness in
            let (status, text) = try await PythonScript.run(
                "embeddings_sdk_check.py", arguments: [harness.base, DemoConfiguration.clientKey, "demo-embed"])
            #expect(status == 0, "\(text)")
            #expect(text.contains("demo-embed openai base64: 2 x 8 alpha "), "\(text)")
            #expect(text.contains("demo-embed genai: 2 x 8 alpha "), "\(text)")
            #expect(text.contains("demo-embed genai dimensions: 5"), "\(text)")
        }
    }
}
