import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import Testing

@Suite("Chat completions through the router", .timeLimit(.minutes(5)))
struct ChatStreamingTests {
    static func fastSim(ttft: Double = 20, tokens: Int = 8) -> SimulatorSettings {
        var settings = SimulatorSettings()
        settings.ttftMilliseconds = ttft
        settings.tokensPerSecond = 1000
        settings.answerTokens = tokens
        return settings
    }

    @Test("a stream arrives frame by frame, ends with [DONE], and names its provider")
    func streaming() async throws {
        try await RouterHarness.run(sims: [Self.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            #expect(response.headers.first(name: "x-edge-provider") == "p0")
            #expect(response.headers.first(name: "x-edge-upstream-model") == "upstream-0")
            #expect(response.headers.first(name: "x-edge-attempts") == "1")
            #expect(response.headers.first(name: "x-edge-request-id")?.count == 16)
            let payloads = ssePayloads(response.body)
            #expect(payloads.last == "[DONE]")
            #expect(streamedText(response.body) == "The quick brown fox jumps over the lazy")
            // The client did not ask for usage: the usage-only chunk the router requested upstream is not passed on.
            #expect(!payloads.contains { $0.contains(#""choices":[]"#) })
        }
    }

    @Test("the usage chunk is passed on when the client asks for it")
    func usageWhenAsked() async throws {
        try await RouterHarness.run(sims: [Self.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.chat(model: "m", stream: true, extra: #","stream_options":{"include_usage":true}"#)
            let usage = ssePayloads(response.body).filter { $0.contains(#""choices":[]"#) }
            #expect(usage.count == 1)
            #expect(usage.first?.contains(#""completion_tokens":8"#) == true)
        }
    }

    @Test("a non-streaming request gets one chat.completion assembled from the stream")
    func nonStreaming() async throws {
        try await RouterHarness.run(sims: [Self.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.chat(model: "m-alias", stream: false)
            #expect(response.status == 200)
            let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            #expect(object["object"] as? String == "chat.completion")
            let choice = try #require((object["choices"] as? [[String: Any]])?.first)
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["content"] as? String == "The quick brown fox jumps over the lazy")
            #expect(message["role"] as? String == "assistant")
            #expect(choice["finish_reason"] as? String == "stop")
            let usage = try #require(object["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 8)
        }
    }

    @Test("provider/model pins one provider")
    func pinning() async throws {
        try await RouterHarness.run(sims: [Self.fastSim(), Self.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let pinned = try await harness.chat(model: "p1/m", stream: false)
            #expect(pinned.status == 200)
            #expect(pinned.headers.first(name: "x-edge-provider") == "p1")
            #expect(pinned.headers.first(name: "x-edge-route-reason") == "pinned")
            let unknown = try await harness.chat(model: "nobody/m", stream: false)
            #expect(unknown.status == 404)
            #expect(unknown.body.contains("model_not_found"))
        }
    }

    @Test("GET /v1/models lists the configuration in OpenAI's format")
    func models() async throws {
        try await RouterHarness.run(sims: [Self.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.send("/v1/models", method: .GET)
            #expect(response.status == 200)
            let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            #expect(object["object"] as? String == "list")
            let data = try #require(object["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["m"])
            #expect((data.first?["providers"] as? [[String: Any]])?.first?["provider"] as? String == "p0")
        }
    }

    @Test("health, readiness and Prometheus metrics")
    func operations() async throws {
        try await RouterHarness.run(sims: [Self.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            #expect(try await harness.send("/healthz", method: .GET, headers: []).status == 200)
            #expect(try await harness.send("/readyz", method: .GET, headers: []).status == 200)
            _ = try await harness.chat(model: "m", stream: true)
            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(metrics.contains(#"edge_requests_total{model="m",provider="p0",outcome="ok"} 1"#))
            #expect(metrics.contains(#"edge_time_to_first_token_seconds_count{model="m",provider="p0"} 1"#))
        }
    }

    @Test("the provider key goes upstream, the client's key never does")
    func credentials() async throws {
        var sim = Self.fastSim()
        sim.requiredAPIKey = "provider-secret"
        try await RouterHarness.run(sims: [sim], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 200)
            #expect(harness.sims[0].stats.completed == 1)
            let upstream = try #require(harness.sims[0].lastChatHeaders)
            #expect(upstream.filter { $0.name.lowercased() == "authorization" }.map(\.value) == ["Bearer provider-secret"])
            // Not under any name, not inside any value.
            #expect(!upstream.contains { $0.value.contains(RouterHarness.clientKey) }, "\(upstream)")
        }
    }
}
