import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import RequestLog
import RoutingCore
import Testing

/// `POST /v1/embeddings` and Gemini's `:embedContent` / `:batchEmbedContents` through the router, against an
/// OpenAI-dialect simulator (p0) and a Gemini-dialect one (p1).
@Suite("Embeddings: both dialects on both sides, routing, failover, errors, the record", .timeLimit(.minutes(5)))
struct EmbeddingsTests {
    static func sim(_ dialect: SimulatorDialect, failing: Bool = false) -> SimulatorSettings {
        var settings = SimulatorSettings(dialect: dialect)
        settings.ttftMilliseconds = 5
        if failing {
            settings.errorRate = 1
            settings.errorStatus = 503
        }
        return settings
    }

    /// `e-openai` on p0, `e-gemini` on p1, `e-both` on p0 then p1, with input prices; the chat model `m` on both.
    static func yaml(_ ports: [Int], extra: String = "", firstTokenMs: Int = 2000) -> String {
        testYAML(
            ports: ports, firstTokenMs: firstTokenMs,
            extraModels: """
                  - name: e-openai
                    kind: embedding
                    deployments: [{ provider: p0, model: emb-0, price: { input_per_mtok: 2 } }]
                  - name: e-gemini
                    kind: embedding
                    deployments: [{ provider: p1, model: emb-1, price: { input_per_mtok: 2 } }]
                  - name: e-both
                    kind: embedding
                    deployments: [{ provider: p0, model: emb-0 }, { provider: p1, model: emb-1 }]
                """, dialects: ["openai", "gemini"]) + extra
    }

    static func run(
        failingFirst: Bool = false, extra: String = "", _ body: @Sendable @escaping (RouterHarness) async throws -> Void
    ) async throws {
        try await RouterHarness.run(
            sims: [sim(.openai, failing: failingFirst), sim(.gemini)], yaml: { Self.yaml($0, extra: extra) }, body)
    }

    static func embed(
        _ harness: RouterHarness, _ client: EmbeddingClient, model: String, texts: [String], dimensions: Int? = nil
    ) async throws -> (status: Int, provider: String?, vectors: [[Float]]?, body: String) {
        let request = client.request(model: model, texts: texts, dimensions: dimensions)
        let response = try await harness.send(request.path, body: request.body, headers: request.headers)
        return (response.status, response.headers.first(name: "x-edge-provider"), client.vectors(response.body), response.body)
    }

    @Test("OpenAI and Gemini clients read the same unit vectors (8 values each, one per input) from OpenAI and Gemini providers: all four pairs")
    func fourPairs() async throws {
        try await Self.run { harness in
            var answers: [[[Float]]] = []
            for client in EmbeddingClient.allCases {
                for (model, provider) in [("e-openai", "p0"), ("e-gemini", "p1")] {
                    let answer = try await Self.embed(harness, client, model: model, texts: ["alpha", "beta"])
                    #expect(answer.status == 200, "\(client) \(model): \(answer.body)")
                    #expect(answer.provider == provider)
                    let vectors = try #require(answer.vectors, "\(client) \(model): \(answer.body)")
                    #expect(vectors.count == 2 && vectors.allSatisfy { $0.count == 8 })
                    for vector in vectors { #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4) }
                    #expect(vectors[0] != vectors[1])
                    answers.append(vectors)
                }
            }
            #expect(answers.allSatisfy { $0 == answers[0] }, "\(answers)")
            // Gemini's single-content method answers one `embedding`.
            let single = try await harness.send(
                "/v1beta/models/e-openai:embedContent", body: #"{"content":{"parts":[{"text":"alpha"}]}}"#,
                headers: [("x-goog-api-key", RouterHarness.clientKey)])
            #expect(single.status == 200, "\(single.body)")
            #expect(EmbeddingClient.gemini.vectors(single.body) == [answers[0][0]])
            #expect(DialectClient.object(single.body)?["embedding"] != nil)
        }
    }

    @Test("encoding_format base64 decodes (little-endian float32) to exactly the floats of encoding_format float, from both providers")
    func base64() async throws {
        try await Self.run { harness in
            for model in ["e-openai", "e-gemini"] {
                var vectors: [String: [[Float]]] = [:]
                for format in ["float", "base64"] {
                    let response = try await harness.send(
                        "/v1/embeddings", body: #"{"model":"\#(model)","input":["one","two"],"encoding_format":"\#(format)"}"#)
                    #expect(response.status == 200, "\(response.body)")
                    let data = try #require(DialectClient.object(response.body)?["data"] as? [[String: Any]])
                    #expect(format == "base64" ? data[0]["embedding"] is String : data[0]["embedding"] is [Any])
                    vectors[format] = EmbeddingClient.openai.vectors(response.body)
                }
                #expect(vectors["float"] != nil && vectors["float"] == vectors["base64"], "\(model)")
            }
        }
    }

    @Test("dimensions (OpenAI) and outputDimensionality (Gemini) reach both providers: 5 values per vector in all four pairs")
    func dimensionsPassedOn() async throws {
        try await Self.run { harness in
            for client in EmbeddingClient.allCases {
                for model in ["e-openai", "e-gemini"] {
                    let answer = try await Self.embed(harness, client, model: model, texts: ["x"], dimensions: 5)
                    #expect(answer.vectors?.first?.count == 5, "\(client) \(model): \(answer.body)")
                }
            }
        }
    }

    @Test("a 503 from the first deployment fails over to the Gemini one unseen: 200, x-edge-attempts 2, route reason failover")
    func failover() async throws {
        try await Self.run(failingFirst: true) { harness in
            let response = try await harness.send("/v1/embeddings", body: #"{"model":"e-both","input":"hello"}"#)
            #expect(response.status == 200, "\(response.body)")
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(response.headers.first(name: "x-edge-attempts") == "2")
            #expect(response.headers.first(name: "x-edge-route-reason") == "failover")
            #expect(EmbeddingClient.openai.vectors(response.body)?.first?.count == 8)
            #expect(harness.sims[0].stats.failed == 1 && harness.sims[0].stats.embeddings == 1)
            #expect(harness.sims[1].stats.completed == 1 && harness.sims[1].stats.embeddings == 1)
        }
    }

    @Test("each answer's total latency is its deployment's live sample, apart from the chat deployment on the same provider; a failure reaches the breaker")
    func estimatesAndBreaker() async throws {
        try await Self.run(failingFirst: true) { harness in
            for _ in 0..<3 {
                let response = try await harness.send("/v1/embeddings", body: #"{"model":"e-gemini","input":"hello"}"#)
                #expect(response.status == 200)
                #expect(Int(response.headers.first(name: "x-edge-latency-ms") ?? "") != nil)
            }
            _ = try await harness.send("/v1/embeddings", body: #"{"model":"e-openai","input":"hello"}"#)
            let now = MonotonicTime.now()
            let runtimes = harness.router.engine.runtimes
            let embedding = try #require(runtimes.first { $0.deployment.modelName == "e-gemini" })
            let chat = try #require(runtimes.first { $0.deployment.modelName == "m" && $0.deployment.provider.id == "p1" })
            #expect(embedding.snapshot(now: now).estimate.liveSamples == 3)
            #expect(chat.snapshot(now: now).estimate.sampleCount == 0)
            let failed = try #require(runtimes.first { $0.deployment.modelName == "e-openai" })
            #expect(failed.snapshot(now: now).lastFailure?.contains("HTTP 503") == true, "\(String(describing: failed.snapshot(now: now).lastFailure))")
        }
    }

    @Test("errors in the client's dialect: unknown model 404, bad key 401, chat model on embeddings and embedding model on chat 400 naming model, token ids for Gemini 400 naming input")
    func errorsInEachDialect() async throws {
        try await Self.run { harness in
            let unknownOpenAI = try await Self.embed(harness, .openai, model: "nope", texts: ["x"])
            #expect(unknownOpenAI.status == 404)
            #expect(DialectClient.openai.error(unknownOpenAI.body)?.type == "invalid_request_error", "\(unknownOpenAI.body)")
            let unknownGemini = try await Self.embed(harness, .gemini, model: "nope", texts: ["x"])
            #expect(unknownGemini.status == 404)
            #expect(DialectClient.gemini.error(unknownGemini.body)?.type == "NOT_FOUND", "\(unknownGemini.body)")

            for client in EmbeddingClient.allCases {
                let request = client.request(model: "e-openai", texts: ["x"], key: "wrong-key")
                let response = try await harness.send(request.path, body: request.body, headers: request.headers)
                #expect(response.status == 401, "\(client)")
                let dialect: DialectClient = client == .openai ? .openai : .gemini
                #expect(dialect.error(response.body) != nil, "\(client): \(response.body)")

                let chatModel = try await Self.embed(harness, client, model: "m", texts: ["x"])
                #expect(chatModel.status == 400, "\(client): \(chatModel.body)")
                #expect(dialect.error(chatModel.body)?.message.contains("is not an embedding model") == true, "\(chatModel.body)")
            }
            let param = DialectClient.object(try await Self.embed(harness, .openai, model: "m", texts: ["x"]).body)?["error"] as? [String: Any]
            #expect(param?["param"] as? String == "model")

            let chat = try await harness.chat(model: "e-openai", stream: false)
            #expect(chat.status == 400)
            #expect(DialectClient.openai.error(chat.body)?.message.contains("is an embedding model") == true, "\(chat.body)")

            let tokens = try await harness.send("/v1/embeddings", body: #"{"model":"e-gemini","input":[1,2,3]}"#)
            #expect(tokens.status == 400)
            #expect((DialectClient.object(tokens.body)?["error"] as? [String: Any])?["param"] as? String == "input", "\(tokens.body)")

            let badField = try await harness.send(
                "/v1beta/models/e-openai:embedContent", body: #"{"content":{"parts":[{"text":"x"}]},"bogus":1}"#,
                headers: [("x-goog-api-key", RouterHarness.clientKey)])
            #expect(badField.status == 400)
            #expect(DialectClient.gemini.error(badField.body)?.type == "INVALID_ARGUMENT", "\(badField.body)")
        }
    }

    @Test("every embeddings request is on record: endpoint, deployment, input tokens (OpenAI's usage; Gemini's estimated and marked), cost at the input price, refusals too")
    func onRecord() async throws {
        let log = try RequestRecordTests.logPath()
        try await Self.run(extra: "\nlog: { path: \"\(log)\", batch_ms: 10 }\n") { harness in
            let openAI = try await Self.embed(harness, .openai, model: "e-openai", texts: ["abcdefgh"])
            #expect(openAI.status == 200)
            let gemini = try await Self.embed(harness, .gemini, model: "e-gemini", texts: ["abcdefgh", "abcd"])
            #expect(gemini.status == 200)
            let unknown = try await Self.embed(harness, .openai, model: "nope", texts: ["x"])
            #expect(unknown.status == 404)
            let request = EmbeddingClient.openai.request(model: "e-openai", texts: ["x"], key: "wrong-key")
            let refused = try await harness.send(request.path, body: request.body, headers: request.headers)
            #expect(refused.status == 401)
        }
        let records = try await RequestRecordTests.records(log).sorted { $0.receivedAtMs < $1.receivedAtMs }
        #expect(records.count == 4)
        guard records.count == 4 else { return }
        let openAI = records[0]
        #expect(openAI.endpoint == "/v1/embeddings" && openAI.dialect == "openai" && openAI.model == "e-openai")
        #expect(openAI.provider == "p0" && openAI.upstreamModel == "emb-0" && openAI.attempts == 1 && openAI.status == 200)
        #expect(openAI.tokens == .init(input: 2) && !openAI.usageEstimated)
        #expect(abs(openAI.costUSD - 2 * 2 / 1e6) < 1e-12)
        let gemini = records[1]
        #expect(gemini.endpoint == "/v1beta/models/e-gemini:batchEmbedContents" && gemini.dialect == "gemini")
        #expect(gemini.provider == "p1" && gemini.tokens == .init(input: 3) && gemini.usageEstimated)
        #expect(records[2].status == 404 && records[2].errorType == "model_not_found" && records[2].keyID == "client")
        #expect(records[3].status == 401 && records[3].keyID == nil && records[3].endpoint == "/v1/embeddings")
    }

    @Test("Expect: 100-continue on the OpenAI and Gemini embeddings endpoints gets 100 Continue before the body, then the answer")
    func expectContinue() async throws {
        try await Self.run { harness in
            for (path, body) in [
                ("/v1/embeddings", #"{"model":"e-openai","input":["a b c"]}"#),
                ("/v1beta/models/e-gemini:embedContent", #"{"content":{"parts":[{"text":"a b c"}]}}"#),
            ] {
                let client = try await RawClient.connect(port: harness.router.port)
                try await client.send(
                    "POST \(path) HTTP/1.1\r\nhost: x\r\nauthorization: Bearer \(RouterHarness.clientKey)\r\n"
                        + "x-goog-api-key: \(RouterHarness.clientKey)\r\ncontent-type: application/json\r\n"
                        + "content-length: \(body.utf8.count)\r\nexpect: 100-continue\r\n\r\n")
                let interim = await client.wait(for: .seconds(10)) { $0.text.contains("\r\n\r\n") }
                #expect(interim.text.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(path): \(interim.text)")
                try await client.send(body)
                let answered = await client.wait(for: .seconds(20)) { $0.text.contains("HTTP/1.1 200") && $0.text.contains(#""embedding"#) }
                #expect(answered.text.contains("HTTP/1.1 200 OK"), "\(path): \(answered.text)")
                await client.close()
            }
        }
    }

    @Test("a client whose connection fails while its embeddings call runs cancels the call: the simulator sees it cancelled, the record says 499 cancelled")
    func clientLeavingCancelsTheCall() async throws {
        let log = try RequestRecordTests.logPath()
        var slow = Self.sim(.openai)
        slow.ttftMilliseconds = 20_000
        try await RouterHarness.run(
            sims: [slow, Self.sim(.gemini)],
            // The call's own limit (30 s) is past the test's waits: only the client leaving can end it in time.
            yaml: { Self.yaml($0, extra: "\nlog: { path: \"\(log)\", batch_ms: 10 }\n", firstTokenMs: 30_000) }
        ) { harness in
            let body = #"{"model":"e-openai","input":["a b c"]}"#
            let client = try await RawClient.connect(port: harness.router.port)
            try await client.send(
                "POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer \(RouterHarness.clientKey)\r\n"
                    + "content-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n" + body)
            let reached = await harness.sims[0].waitForStats(timeout: .seconds(20)) { $0.received == 1 }
            #expect(reached.received == 1)
            await client.reset()
            let cancelled = await harness.sims[0].waitForStats(timeout: .seconds(10)) { $0.cancelled == 1 }
            #expect(cancelled.cancelled == 1, "the provider call ran on after the client left: \(cancelled)")
        }
        let records = try await RequestRecordTests.records(log)
        #expect(records.count == 1)
        #expect(records.first?.status == 499 && records.first?.errorType == "cancelled", "\(records)")
    }

    @Test("configuration: an embedding model on an Anthropic-dialect provider and an unknown kind are refused")
    func configurationChecks() throws {
        let yaml = """
            providers:
              - { id: a, dialect: anthropic, base_url: "http://127.0.0.1:1" }
            models:
              - name: e
                kind: embedding
                deployments: [{ provider: a, model: x }]
              - name: f
                kind: vectors
                deployments: [{ provider: a, model: x }]
            keys:
              - { id: k, key: abcdefgh }
            """
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml)
            Issue.record("accepted")
        } catch {
            let text = error.configurationIssues.map { "\($0)" }.joined(separator: "\n")
            #expect(text.contains("models[0].kind") && text.contains("Anthropic-dialect providers have no embeddings"), "\(text)")
            #expect(text.contains("unknown kind 'vectors'"), "\(text)")
        }
    }
}
