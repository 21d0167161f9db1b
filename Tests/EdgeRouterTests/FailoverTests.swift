import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import Testing

@Suite("Failover before the first token, errors after it", .timeLimit(.minutes(5)))
struct FailoverTests {
    static let fast = ChatStreamingTests.fastSim()

    static func failing(_ status: Int) -> SimulatorSettings {
        var settings = fast
        settings.errorRate = 1
        settings.errorStatus = status
        return settings
    }

    @Test("a 503 from the first provider is invisible to the client", arguments: [true, false])
    func failoverOn503(stream: Bool) async throws {
        try await RouterHarness.run(sims: [Self.failing(503), Self.fast], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.chat(model: "m", stream: stream)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(response.headers.first(name: "x-edge-attempts") == "2")
            #expect(response.headers.first(name: "x-edge-route-reason") == "failover")
            if stream { #expect(streamedText(response.body) == "The quick brown fox jumps over the lazy") }
            #expect(harness.sims[0].stats.failed == 1)
        }
    }

    @Test("one provider answering 503 every time: 100 requests in a row all succeed")
    func hundredRequests() async throws {
        try await RouterHarness.run(sims: [Self.failing(503), Self.fast], yaml: { testYAML(ports: $0) }) { harness in
            var statuses: [Int] = []
            for index in 0..<100 {
                statuses.append(try await harness.chat(model: "m", stream: index.isMultiple(of: 2)).status)
            }
            #expect(statuses.allSatisfy { $0 == 200 })
            // Its breaker opens after 5 consecutive failures: from then on no request is spent on it.
            #expect(harness.sims[0].stats.failed <= 5)
        }
    }

    @Test("connection refused fails over")
    func failoverOnRefused() async throws {
        // Port 1 on loopback has no listener: the connection is refused at once.
        try await RouterHarness.run(
            sims: [Self.fast],
            yaml: { ports in
                testYAML(
                    ports: ports,
                    extraProviders: "  - { id: dead, base_url: \"http://127.0.0.1:1/v1\", api_key: x }",
                    deploymentProviders: ["dead", "p0"])
            }
        ) { harness in
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p0")
            #expect(response.headers.first(name: "x-edge-attempts") == "2")
        }
    }

    @Test("a provider that hangs before the first token is cut at the first-token timeout and failed over")
    func failoverOnHang() async throws {
        var hanging = Self.fast
        hanging.hang = true
        // Only the hanging provider gets the short first-token timeout, so a busy machine cannot fail the other.
        try await RouterHarness.run(
            sims: [hanging, Self.fast],
            yaml: { ports in
                let yaml = testYAML(ports: ports, firstTokenMs: 300)
                let split = yaml.range(of: "- id: p1")!
                return yaml[..<split.lowerBound] + yaml[split.lowerBound...].replacingOccurrences(of: "first_token_ms: 300", with: "first_token_ms: 5000")
            }
        ) { harness in
            let started = ContinuousClock.now
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            // The abandoned attempt's connection is closed, which the hanging provider sees.
            let stats = await harness.sims[0].waitForStats { $0.cancelled == 1 }
            #expect(stats.cancelled == 1)
        }
    }

    @Test("a stream closed before the first token fails over")
    func failoverOnEarlyClose() async throws {
        var cutting = Self.fast
        cutting.cutAfterTokens = 0
        try await RouterHarness.run(sims: [cutting, Self.fast], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(harness.sims[0].stats.cut == 1)
        }
    }

    @Test("a stream cut after the first token ends with an OpenAI error frame, never a silent cut")
    func interruptionAfterFirstToken() async throws {
        var cutting = Self.fast
        cutting.cutAfterTokens = 3
        try await RouterHarness.run(sims: [cutting, Self.fast], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p0")
            let payloads = ssePayloads(response.body)
            // The cut is abrupt, so the last token before it may be lost in flight; what arrived is a prefix.
            let text = streamedText(response.body)
            #expect(!text.isEmpty && "The quick brown".hasPrefix(text), "got '\(text)'")
            #expect(payloads.last?.contains(#""error""#) == true)
            #expect(payloads.last?.contains("stream_interrupted") == true)
            #expect(!payloads.contains("[DONE]"))
            #expect(harness.sims[1].stats.received == 0)
        }
    }

    @Test("a stream that goes quiet after the first token ends at the idle timeout with an error frame")
    func idleTimeoutAfterFirstToken() async throws {
        // The idle timeout leaves room for a busy machine before the first token (the read timeout covers that
        // wait too); the sim's next token comes 5 s after the first, far beyond it.
        var stalling = Self.fast
        stalling.tokensPerSecond = 0.2
        stalling.answerTokens = 3
        try await RouterHarness.run(sims: [stalling], yaml: { testYAML(ports: $0, idleMs: 600) }) { harness in
            let started = ContinuousClock.now
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200, "\(response.body)")
            let payloads = ssePayloads(response.body)
            #expect(payloads.last?.contains("stream_interrupted") == true)
            #expect(payloads.last?.contains("no data for 600 ms") == true, "\(payloads.last ?? "")")
            #expect(!payloads.contains("[DONE]"))
            // Well before the sim's next token: the idle timeout ended it, not the provider.
            #expect(ContinuousClock.now - started < .seconds(3))
            // The router dropped the upstream request when it gave up on it.
            let stats = await harness.sims[0].waitForStats { $0.cancelled == 1 }
            #expect(stats.cancelled == 1)
            #expect(stats.completed == 0)
        }
    }

    @Test("every provider failing gives a 502 that names each attempt and leaks no key")
    func allFail() async throws {
        try await RouterHarness.run(
            sims: [Self.failing(503), Self.failing(500)], yaml: { testYAML(ports: $0) }
        ) { harness in
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 502)
            let error = try #require(
                (JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])?["error"] as? [String: Any])
            let message = try #require(error["message"] as? String)
            #expect(message.contains("p0/upstream-0: HTTP 503"))
            #expect(message.contains("p1/upstream-1: HTTP 500"))
            #expect(message.contains(response.headers.first(name: "x-edge-request-id") ?? "missing"))
            #expect(error["code"] as? String == "all_providers_failed")
            #expect(!response.body.contains("provider-secret"))
            #expect(!response.body.contains(RouterHarness.clientKey))
        }
    }

    @Test("a request the provider rejects as invalid is tried once more on another provider, then keeps its status")
    func rejectionIsRetriedOnce() async throws {
        try await RouterHarness.run(
            sims: [Self.failing(400), Self.failing(400), Self.fast], yaml: { testYAML(ports: $0) }
        ) { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 400)
            #expect(response.body.contains("upstream_rejected"))
            #expect(harness.sims[1].stats.received == 1)
            #expect(harness.sims[2].stats.received == 0)
        }
    }

    @Test("attempts stop at max_attempts")
    func maxAttempts() async throws {
        try await RouterHarness.run(
            sims: [Self.failing(503), Self.failing(503), Self.fast], yaml: { testYAML(ports: $0, maxAttempts: 2) }
        ) { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 502)
            #expect(harness.sims[2].stats.received == 0)
        }
    }

    @Test("a client that disconnects mid-stream cancels the upstream request at once")
    func clientDisconnectCancelsUpstream() async throws {
        var slow = Self.fast
        slow.tokensPerSecond = 5
        slow.answerTokens = 50
        try await RouterHarness.run(sims: [slow], yaml: { testYAML(ports: $0) }) { harness in
            var request = HTTPClientRequest(url: harness.base + "/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "authorization", value: "Bearer \(RouterHarness.clientKey)")
            request.body = .bytes(ByteBuffer(string: RouterHarness.chatBody(model: "m", stream: true)))
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
            let task = Task {
                let response = try await client.execute(request, timeout: .seconds(30))
                for try await _ in response.body {
                    // Reading the first chunk is enough: cancelling the task drops the connection.
                    break
                }
            }
            _ = try? await bounded(.seconds(60), "the client reading its first chunk") { try await task.value }
            try await client.shutdown()
            let stats = await harness.sims[0].waitForStats { $0.cancelled == 1 }
            #expect(stats.cancelled == 1)
            #expect(stats.completed == 0)
        }
    }
}
