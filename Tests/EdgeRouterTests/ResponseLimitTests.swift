import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

@Suite("A non-streaming answer is assembled up to server.max_response_bytes", .timeLimit(.minutes(2)))
struct ResponseLimitTests {
    /// A provider that streams about 110 KB of content over about a second.
    static func bigSim(tokens: Int = 20_000) -> SimulatorSettings {
        var settings = ChatStreamingTests.fastSim(tokens: tokens)
        settings.tokensPerSecond = 20_000
        return settings
    }

    static func yaml(_ ports: [Int]) -> String {
        testYAML(ports: ports, firstTokenMs: 10_000, idleMs: 10_000, server: "  max_response_bytes: 4096")
    }

    @Test("past the limit the client gets a 502 response_too_large, the upstream call is cancelled, and it is counted")
    func oversizedAnswer() async throws {
        try await RouterHarness.run(sims: [Self.bigSim()], yaml: Self.yaml) { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 502)
            #expect(response.body.utf8.count < 1_000)
            let error = try openAIError(response.body)
            #expect(error["code"] as? String == "response_too_large")
            #expect(error["type"] as? String == "api_error")
            #expect((error["message"] as? String)?.contains("4096") == true)
            let stats = await harness.sims[0].waitForStats { $0.cancelled == 1 }
            #expect(stats.completed == 0)
            let metrics = try await harness.send("/metrics", method: .GET, headers: [])
            #expect(metrics.body.contains(#"edge_responses_too_large_total{model="m",provider="p0"} 1"#))
        }
    }

    @Test("a streaming answer is passed on past the limit: it is never held whole")
    func streamingUnaffected() async throws {
        try await RouterHarness.run(sims: [Self.bigSim(tokens: 2_000)], yaml: Self.yaml) { harness in
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(streamedText(response.body).utf8.count > 4096)
            #expect(response.body.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test("server.max_response_bytes defaults to 16 MiB and is read from the file")
    func configuration() throws {
        let defaults = try ConfigurationLoader.parse(yaml: testYAML(ports: [1]), environment: ["TEST_PROVIDER_KEY": "k"])
        #expect(defaults.server.maxResponseBytes == 16 << 20)
        let set = try ConfigurationLoader.parse(yaml: Self.yaml([1]), environment: ["TEST_PROVIDER_KEY": "k"])
        #expect(set.server.maxResponseBytes == 4096)
    }
}
