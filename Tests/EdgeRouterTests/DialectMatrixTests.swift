import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import Testing

/// Each client dialect against each provider dialect, through the router: the same answer whatever the pair,
/// streaming and not, with failover across dialects before the first token and errors in the client's shape.
@Suite("Dialects: every client against every provider", .timeLimit(.minutes(5)))
struct DialectMatrixTests {
    static func sim(_ dialect: DialectClient, ttft: Double = 5) -> SimulatorSettings {
        var settings = ChatStreamingTests.fastSim(ttft: ttft)
        settings.dialect = SimulatorDialect(rawValue: dialect.rawValue) ?? .openai
        return settings
    }

    /// The answer the simulator gives, as an OpenAI client of an OpenAI provider reads it.
    static let expectedText = "The quick brown fox jumps over the lazy"

    @Test(
        "each client dialect reads the same answer from each provider dialect, streamed and whole",
        arguments: DialectClient.allCases)
    func matrix(provider: DialectClient) async throws {
        try await RouterHarness.run(sims: [Self.sim(provider)], yaml: { testYAML(ports: $0, dialects: [provider.rawValue]) }) { harness in
            for client in DialectClient.allCases {
                for stream in [true, false] {
                    let request = client.request(model: "m", stream: stream)
                    let response = try await harness.send(request.path, body: request.body, headers: request.headers)
                    let pair = "\(client) client, \(provider) provider, stream \(stream)"
                    #expect(response.status == 200, "\(pair): \(response.body)")
                    #expect(response.headers.first(name: "x-edge-provider") == "p0", "\(pair)")
                    let text = client.answerText(response.body, stream: stream)
                    #expect(text?.hasPrefix(Self.expectedText) == true, "\(pair): \(response.body)")
                }
            }
        }
    }

    @Test(
        "a failing provider of one dialect fails over to another dialect before the first token, unseen by the client",
        arguments: DialectClient.allCases)
    func failoverAcrossDialects(client: DialectClient) async throws {
        var failing = Self.sim(.anthropic, ttft: 1)
        failing.errorRate = 1
        failing.errorStatus = 529
        try await RouterHarness.run(
            sims: [failing, Self.sim(.gemini, ttft: 30), Self.sim(.openai, ttft: 60)],
            yaml: { testYAML(ports: $0, dialects: ["anthropic", "gemini", "openai"]) }
        ) { harness in
            for stream in [true, false] {
                let request = client.request(model: "m", stream: stream)
                let response = try await harness.send(request.path, body: request.body, headers: request.headers)
                #expect(response.status == 200, "\(client), stream \(stream): \(response.body)")
                #expect(response.headers.first(name: "x-edge-provider") != "p0")
                #expect(Int(response.headers.first(name: "x-edge-attempts") ?? "") ?? 0 >= 2)
                #expect(client.answerText(response.body, stream: stream)?.hasPrefix(Self.expectedText) == true, "\(response.body)")
            }
        }
    }

    @Test("an Anthropic error event after HTTP 200, before the first token, fails over to an OpenAI deployment")
    func anthropicStreamErrorFailsOver() async throws {
        var failing = Self.sim(.anthropic, ttft: 1)
        failing.streamErrorAfterTokens = 0
        try await RouterHarness.run(
            sims: [failing, Self.sim(.openai, ttft: 40)], yaml: { testYAML(ports: $0, dialects: ["anthropic", "openai"]) }
        ) { harness in
            let request = DialectClient.anthropic.request(model: "m", stream: true)
            let response = try await harness.send(request.path, body: request.body, headers: request.headers)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(DialectClient.anthropic.answerText(response.body, stream: true)?.hasPrefix(Self.expectedText) == true, "\(response.body)")
        }
    }

    @Test("errors the router makes are in the client's shape and status: unknown model, bad key, bad body, all failed")
    func routerErrorsInClientShape() async throws {
        var failing = Self.sim(.openai)
        failing.errorRate = 1
        try await RouterHarness.run(sims: [failing], yaml: { testYAML(ports: $0, maxAttempts: 1) }) { harness in
            for client in DialectClient.allCases {
                let unknown = client.request(model: "nope", stream: false)
                let missing = try await harness.send(unknown.path, body: unknown.body, headers: unknown.headers)
                #expect(missing.status == 404, "\(client)")
                #expect(client.error(missing.body) != nil, "\(client): \(missing.body)")

                let badKey = client.request(model: "m", stream: false, key: "wrong")
                let refused = try await harness.send(badKey.path, body: badKey.body, headers: badKey.headers)
                #expect(refused.status == 401, "\(client)")
                #expect(client.error(refused.body) != nil, "\(client): \(refused.body)")

                let good = client.request(model: "m", stream: false)
                let invalid = try await harness.send(good.path, body: "{\"model\": 5}", headers: good.headers)
                #expect(invalid.status == 400, "\(client)")
                #expect(client.error(invalid.body) != nil, "\(client): \(invalid.body)")

                let failed = try await harness.send(good.path, body: good.body, headers: good.headers)
                #expect(failed.status == (client == .anthropic ? 529 : 502), "\(client): \(failed.body)")
                #expect(client.error(failed.body)?.type == ["openai": "api_error", "anthropic": "overloaded_error", "gemini": "UNAVAILABLE"][client.rawValue])
            }
        }
    }

    @Test("a field the provider's dialect cannot take is refused with a 400 in the client's dialect naming it")
    func untranslatableFieldRefused() async throws {
        try await RouterHarness.run(sims: [Self.sim(.anthropic)], yaml: { testYAML(ports: $0, dialects: ["anthropic"]) }) { harness in
            let body = #"{"model":"m","seed":7,"messages":[{"role":"user","content":"hi"}]}"#
            let response = try await harness.send("/v1/chat/completions", body: body)
            #expect(response.status == 400)
            let error = DialectClient.openai.error(response.body)
            #expect(error?.type == "invalid_request_error")
            #expect(error?.message.contains("'seed'") == true, "\(response.body)")
        }
    }

    @Test("a deployment whose dialect cannot take the request leaves the plan; one that can answers it")
    func untranslatableRoutesToSameDialect() async throws {
        try await RouterHarness.run(
            sims: [Self.sim(.anthropic, ttft: 1), Self.sim(.openai, ttft: 50)],
            yaml: { testYAML(ports: $0, dialects: ["anthropic", "openai"]) }
        ) { harness in
            // `seed` has no Anthropic field: only the OpenAI deployment, slower, may answer.
            let body = #"{"model":"m","seed":7,"messages":[{"role":"user","content":"hi"}]}"#
            let response = try await harness.send("/v1/chat/completions", body: body)
            #expect(response.status == 200, "\(response.body)")
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
        }
    }
}

/// The framings and mid-stream errors of each client dialect, from providers of its own dialect and of another.
@Suite("Dialects: framings and errors after the first token", .timeLimit(.minutes(3)))
struct DialectFramingTests {
    @Test(
        "a Gemini stream without alt=sse is one JSON array whose elements hold the answer, passed through or translated",
        arguments: [DialectClient.gemini, .openai, .anthropic])
    func geminiArrayFraming(provider: DialectClient) async throws {
        try await RouterHarness.run(
            sims: [DialectMatrixTests.sim(provider)], yaml: { testYAML(ports: $0, dialects: [provider.rawValue]) }
        ) { harness in
            let response = try await harness.send(
                "/v1beta/models/m:streamGenerateContent", body: #"{"contents":[{"parts":[{"text":"hi"}]}]}"#,
                headers: [("x-goog-api-key", RouterHarness.clientKey)])
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/json")
            let elements = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [[String: Any]], "\(response.body)")
            let text = elements.compactMap { DialectClient.geminiText($0) }.joined()
            #expect(text.hasPrefix(DialectMatrixTests.expectedText), "\(response.body)")
            let last = try #require((elements.last?["candidates"] as? [[String: Any]])?.first)
            #expect(last["finishReason"] as? String == "STOP")
        }
    }

    @Test(
        "a provider's error after the first token ends the client's stream with an error in the client's dialect",
        arguments: DialectClient.allCases)
    func errorAfterFirstToken(client: DialectClient) async throws {
        for provider in DialectClient.allCases {
            var failing = DialectMatrixTests.sim(provider)
            failing.streamErrorAfterTokens = 3
            try await RouterHarness.run(sims: [failing], yaml: { testYAML(ports: $0, dialects: [provider.rawValue]) }) { harness in
                let request = client.request(model: "m", stream: true)
                let response = try await harness.send(request.path, body: request.body, headers: request.headers)
                let pair = "\(client) client, \(provider) provider"
                #expect(response.status == 200, "\(pair)")
                let frames = DialectClient.frames(response.body)
                let last = try #require(frames.last, "\(pair)")
                switch client {
                case .anthropic:
                    #expect(last.event == "error", "\(pair): \(response.body)")
                    #expect(DialectClient.anthropic.error(last.data) != nil, "\(pair): \(last.data)")
                case .openai, .gemini:
                    let object = DialectClient.object(last.data)
                    #expect((object?["error"] as? [String: Any])?["message"] is String, "\(pair): \(response.body)")
                }
                #expect(!response.body.contains("[DONE]"), "\(pair)")
            }
        }
    }

    @Test("an Anthropic client of an Anthropic provider gets the provider's events byte for byte, pings aside")
    func anthropicPassThroughIsFaithful() async throws {
        try await RouterHarness.run(sims: [DialectMatrixTests.sim(.anthropic)], yaml: { testYAML(ports: $0, dialects: ["anthropic"]) }) { harness in
            let request = DialectClient.anthropic.request(model: "m", stream: true)
            let viaRouter = try await harness.send(request.path, body: request.body, headers: request.headers)
            var direct = HTTPClientRequest(url: "http://127.0.0.1:\(harness.simPorts[0])/v1/messages")
            direct.method = .POST
            direct.headers.add(name: "content-type", value: "application/json")
            direct.body = .bytes(ByteBuffer(string: request.body.replacingOccurrences(of: #""model":"m""#, with: #""model":"upstream-0""#)))
            let response = try await harness.client.execute(direct, timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let withoutPings = { (text: String) in
                DialectClient.frames(text).filter { $0.event != "ping" }.map { "\($0.event ?? "")|\($0.data)" }
            }
            // The simulator's message ids differ per request: compare all but the message_start frame's id.
            let routed = withoutPings(viaRouter.body).map { $0.replacingOccurrences(of: #""id":"msg_[^"]*""#, with: "", options: .regularExpression) }
            let straight = withoutPings(body).map { $0.replacingOccurrences(of: #""id":"msg_[^"]*""#, with: "", options: .regularExpression) }
            #expect(routed == straight)
            #expect(routed.count > 5)
        }
    }
}
