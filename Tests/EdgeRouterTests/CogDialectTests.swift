import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import Probe
import ProviderSim
import RoutingCore
import Testing

/// `dialect: cog` against a real Cog HTTP server from PyPI (no container) serving `Fixtures/cog/predict.py`: the
/// official SDKs of every client dialect, streamed and whole, from a predictor that streams and one that does not;
/// failover to a simulator when the Cog server is gone or at capacity; a client that leaves cancels the
/// prediction; probes.
@Suite(
    "dialect: cog against a real Cog server", .serialized, .timeLimit(.minutes(8)),
    .enabled(if: CogServer.isAvailable, "needs EDGE_TEST_PYTHON with the cog package (scripts/python-env)"))
struct CogDialectTests {
    static let adminKey = "cog-admin"

    /// A router with the simulator `sim`, the streaming Cog server as `cog` (`capacity` slots) and the other as
    /// `cog-whole` (`streams: false`); models `m-cog`, `m-cog-whole` and `m-mixed` (cog, then sim).
    static func yaml(simPort: Int, cog: CogServer, whole: CogServer?, capacity: Int = 1, wholeFirstTokenMs: Int = 20000) -> String {
        let wholeProvider =
            whole.map {
                """
                  - id: cog-whole
                    dialect: cog
                    streams: false
                    base_url: \($0.base)
                    timeouts: { connect_ms: 1000, first_token_ms: \(wholeFirstTokenMs), idle_ms: 20000 }
                """
            } ?? ""
        let wholeModel = whole == nil ? "" : "  - name: m-cog-whole\n    deployments: [{ provider: cog-whole, model: echo }]"
        return """
            server:
              port: 0
              max_attempts: 3
            providers:
              - id: sim
                dialect: openai
                base_url: http://127.0.0.1:\(simPort)/v1
                api_key: ${TEST_PROVIDER_KEY}
                timeouts: { connect_ms: 1000, first_token_ms: 5000, idle_ms: 5000 }
              - id: cog
                dialect: cog
                base_url: \(cog.base)
                capacity: \(capacity)
                timeouts: { connect_ms: 1000, first_token_ms: 10000, idle_ms: 10000 }
            \(wholeProvider)
            models:
              - name: m-cog
                deployments:
                  - provider: cog
                    model: echo
                    input: { prompt: "{{prompt}}", system_prompt: "{{system}}", max_tokens: "{{max_tokens}}" }
                    chat_template: plain
              - name: m-mixed
                deployments: [{ provider: cog, model: echo }, { provider: sim, model: gpt-sim }]
            \(wholeModel)
            keys:
              - id: client
                key: \(RouterHarness.clientKey)
            admin_keys:
              - { id: ops, key: \(adminKey) }
            """
    }

    /// Cog first, then the simulator.
    static let cogFirst = [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-route", #"{"order":["cog","sim"]}"#)]

    static func body(_ model: String, stream: Bool, words: String = "say hi to the edge", maxTokens: Int = 32) -> String {
        #"{"model":"\#(model)","stream":\#(stream),"max_tokens":\#(maxTokens),"messages":[{"role":"user","content":"\#(words)"}]}"#
    }

    /// The deployment of `provider` in `/admin/routes` for `model`.
    static func route(_ harness: RouterHarness, model: String, provider: String) async throws -> [String: Any] {
        let response = try await harness.send("/admin/routes", method: .GET, headers: [("authorization", "Bearer \(adminKey)")])
        let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        let models = try #require(object["models"] as? [[String: Any]], "\(response.body)")
        let entry = try #require(models.first { $0["model"] as? String == model || $0["name"] as? String == model }, "\(response.body)")
        let deployments = try #require(entry["deployments"] as? [[String: Any]])
        return try #require(deployments.first { $0["provider"] as? String == provider }, "\(response.body)")
    }

    @Test(
        "the openai, anthropic and google-genai packages read streamed and whole answers from a streaming and a non-streaming Cog predictor; the system prompt reaches system_prompt",
        .enabled(if: PythonScript.python != nil))
    func officialSDKs() async throws {
        let cog = try await CogServer(.streaming, delayMs: 20)
        defer { cog.stop() }
        let whole = try await CogServer(.whole, delayMs: 20)
        defer { whole.stop() }
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim()], yaml: { Self.yaml(simPort: $0[0], cog: cog, whole: whole) }
        ) { harness in
            let (status, text) = try await PythonScript.run(
                "cog_sdk_check.py", arguments: [harness.base, RouterHarness.clientKey, "m-cog", "m-cog-whole"])
            #expect(status == 0, "\(text)")
            let answer = "echo: say hi to the edge"
            for model in ["m-cog", "m-cog-whole"] {
                #expect(text.contains("openai \(model) create: \(answer) [stop]"), "\(text)")
                #expect(text.contains("openai \(model) stream: \(answer) ("), "\(text)")
                #expect(text.contains("anthropic \(model) create: \(answer) [system:2] [end_turn]"), "\(text)")
                #expect(text.contains("anthropic \(model) stream: \(answer)\n"), "\(text)")
                #expect(text.contains("gemini \(model) create: \(answer)\n"), "\(text)")
                #expect(text.contains("gemini \(model) stream: \(answer)\n"), "\(text)")
            }
            // The streaming predictor's answer arrives in pieces (one per yielded word), the other's in one.
            #expect(text.contains("openai m-cog stream: \(answer) (6 pieces)"), "\(text)")
            #expect(text.contains("openai m-cog-whole stream: \(answer) (1 pieces)"), "\(text)")
        }
    }

    @Test("a non-streaming predictor's answer says `whole-answer` in x-edge-route-reason and its TTFT covers the whole prediction; a streaming one's does neither")
    func wholeAnswerRouteReason() async throws {
        let cog = try await CogServer(.streaming, delayMs: 60)
        defer { cog.stop() }
        let whole = try await CogServer(.whole, delayMs: 60)
        defer { whole.stop() }
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim()], yaml: { Self.yaml(simPort: $0[0], cog: cog, whole: whole) }
        ) { harness in
            // Six words, 60 ms apart: the whole prediction takes at least 360 ms, its first word 60 ms.
            let wholeAnswer = try await harness.send("/v1/chat/completions", body: Self.body("m-cog-whole", stream: true))
            #expect(wholeAnswer.status == 200, "\(wholeAnswer.body)")
            #expect(wholeAnswer.headers.first(name: "x-edge-route-reason")?.hasSuffix(", whole-answer") == true)
            #expect(streamedText(wholeAnswer.body) == "echo: say hi to the edge")
            let wholeTTFT = try #require(wholeAnswer.headers.first(name: "x-edge-ttft-ms").flatMap { Int($0) })
            #expect(wholeTTFT >= 340, "TTFT \(wholeTTFT) ms")
            let streamed = try await harness.send("/v1/chat/completions", body: Self.body("m-cog", stream: true))
            #expect(streamed.status == 200, "\(streamed.body)")
            #expect(streamed.headers.first(name: "x-edge-route-reason")?.contains("whole-answer") == false)
            #expect(streamedText(streamed.body) == "echo: say hi to the edge")
            let streamedTTFT = try #require(streamed.headers.first(name: "x-edge-ttft-ms").flatMap { Int($0) })
            #expect(streamedTTFT < wholeTTFT, "streamed \(streamedTTFT) ms, whole \(wholeTTFT) ms")
        }
    }

    @Test("with the Cog server stopped, a request that tries it first is served by the simulator (x-edge-attempts 2) and the Cog deployment records the failure")
    func failsOverWhenStopped() async throws {
        let cog = try await CogServer(.streaming, delayMs: 10)
        defer { cog.stop() }
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim()], yaml: { Self.yaml(simPort: $0[0], cog: cog, whole: nil) }
        ) { harness in
            let before = try await harness.send(
                "/v1/chat/completions", body: Self.body("m-mixed", stream: true), headers: Self.cogFirst)
            #expect(before.status == 200, "\(before.body)")
            #expect(before.headers.first(name: "x-edge-provider") == "cog")
            cog.stop()
            let after = try await harness.send(
                "/v1/chat/completions", body: Self.body("m-mixed", stream: true), headers: Self.cogFirst)
            #expect(after.status == 200, "\(after.body)")
            #expect(after.headers.first(name: "x-edge-provider") == "sim")
            #expect(after.headers.first(name: "x-edge-attempts") == "2")
            let route = try await Self.route(harness, model: "m-mixed", provider: "cog")
            #expect(route["last_failure"] != nil, "\(route)")
        }
    }

    @Test("a Cog server at capacity (409) makes the request fail over to the simulator, and the Cog deployment records no failure")
    func failsOverAtCapacity() async throws {
        // The server has one slot; the router is told two, so that it sends a second prediction while one runs.
        let cog = try await CogServer(.streaming, delayMs: 50)
        defer { cog.stop() }
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim()], yaml: { Self.yaml(simPort: $0[0], cog: cog, whole: nil, capacity: 2) }
        ) { harness in
            let words = Array(repeating: "word", count: 40).joined(separator: " ")
            let long = Task {
                try await harness.send(
                    "/v1/chat/completions", body: Self.body("m-mixed", stream: true, words: words, maxTokens: 41), headers: Self.cogFirst)
            }
            // The slot is taken once the predictor has started.
            #expect(try await cog.waitForLog("start word"))
            let refused = try await harness.send(
                "/v1/chat/completions", body: Self.body("m-mixed", stream: true), headers: Self.cogFirst)
            #expect(refused.status == 200, "\(refused.body)")
            #expect(refused.headers.first(name: "x-edge-provider") == "sim")
            #expect(refused.headers.first(name: "x-edge-attempts") == "2")
            let first = try await long.value
            #expect(first.headers.first(name: "x-edge-provider") == "cog")
            #expect(streamedText(first.body).hasPrefix("echo: word word"))
            let route = try await Self.route(harness, model: "m-mixed", provider: "cog")
            #expect(route["last_failure"] == nil, "\(route)")
            #expect(route["breaker"] as? String == "closed", "\(route)")
        }
    }

    @Test(
        "a prediction the router gives up on is cancelled: a client leaving a streamed answer, and a first-token timeout on a predictor that does not stream (whose prediction a closed connection alone does not stop)"
    )
    func abandonedPredictionsAreCancelled() async throws {
        let whole = try await CogServer(.whole, delayMs: 100)
        defer { whole.stop() }
        let cog = try await CogServer(.streaming, delayMs: 100)
        defer { cog.stop() }
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim()],
            yaml: { Self.yaml(simPort: $0[0], cog: cog, whole: whole, wholeFirstTokenMs: 1500) }
        ) { harness in
            // 41 words, 100 ms apart: about 4 s, unless cancelled.
            let words = Array(repeating: "word", count: 40).joined(separator: " ")
            // The client reads the streamed answer as it comes, then leaves: cancelling the task cancels the
            // request and closes its connection; the router notices at its next write.
            var request = HTTPClientRequest(url: harness.base + "/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "authorization", value: "Bearer \(RouterHarness.clientKey)")
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: Self.body("m-cog", stream: true, words: words, maxTokens: 41)))
            let call = Task {
                let response = try await harness.client.execute(request, timeout: .seconds(30))
                for try await _ in response.body {}
            }
            let started = try await cog.waitForLog("start word")
            #expect(started)
            call.cancel()
            _ = try? await call.value
            let cancelled = try await cog.waitForLog("cancel")
            #expect(cancelled, "\(cog.log())")
            #expect(!cog.log().contains("done"), "\(cog.log())")
            // The whole answer would come after about 4 s; the router gives up at 1.5 s and cancels it.
            let timedOut = try await harness.send(
                "/v1/chat/completions", body: Self.body("m-cog-whole", stream: false, words: words, maxTokens: 41))
            #expect(timedOut.status >= 500, "\(timedOut.body)")
            let wholeCancelled = try await whole.waitForLog("cancel")
            #expect(wholeCancelled, "\(whole.log())")
            #expect(!whole.log().contains("done"), "\(whole.log())")
        }
    }

    @Test("probes: /health-check then a tiny prediction give a first token from both predictors; a stopped server fails the probe")
    func probes() async throws {
        let cog = try await CogServer(.streaming, delayMs: 10)
        defer { cog.stop() }
        let whole = try await CogServer(.whole, delayMs: 10)
        defer { whole.stop() }
        let runner = try ProbeRunner(settings: ProbeSettings())
        for (server, streams) in [(cog, true), (whole, false)] {
            let deployment = Deployment(
                provider: Provider(id: "cog", dialect: .cog, baseURL: server.base, capacity: 1, streams: streams), upstreamModel: "echo")
            let result = await runner.probe(deployment, probe: ModelProbe(), cold: true)
            #expect(result.isSuccess, "\(String(describing: result.error))")
            #expect(result.timeToFirstToken != nil)
        }
        let base = cog.base
        cog.stop()
        let gone = await runner.probe(
            Deployment(provider: Provider(id: "cog", dialect: .cog, baseURL: base, capacity: 1), upstreamModel: "echo"),
            probe: ModelProbe(), cold: true)
        #expect(!gone.isSuccess)
        await runner.shutdown()
    }

    @Test("a probe whose whole-answer prediction outlasts the probe's first-token timeout fails and cancels the prediction, which never finishes")
    func timedOutProbeCancelsItsPrediction() async throws {
        // One word (the probe's max_tokens is 1), 4 s: past the probe's 1 s limit.
        let whole = try await CogServer(.whole, delayMs: 4000)
        defer { whole.stop() }
        var settings = ProbeSettings()
        settings.firstTokenTimeout = .seconds(1)
        let runner = try ProbeRunner(settings: settings)
        let deployment = Deployment(
            provider: Provider(id: "cog-whole", dialect: .cog, baseURL: whole.base, capacity: 1, streams: false), upstreamModel: "echo")
        let result = await runner.probe(deployment, probe: ModelProbe(), cold: true)
        #expect(!result.isSuccess)
        #expect(result.error?.code == .timeout, "\(String(describing: result.error))")
        let cancelled = try await whole.waitForLog("cancel")
        #expect(cancelled, "\(whole.log())")
        #expect(!whole.log().contains("done"), "\(whole.log())")
        await runner.shutdown()
    }
}
