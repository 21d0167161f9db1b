import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import RoutingCore
import Testing

/// Providers that speak OpenAI's Responses API natively (`dialect: openai-responses`, the simulator's
/// `POST /v1/responses`): every client dialect is answered by them through the neutral form, with the official
/// SDKs unmodified, and they fail over like every dialect.
@Suite("Responses API as a provider dialect (openai-responses)", .timeLimit(.minutes(8)))
struct ResponsesNativeTests {
    /// p0 speaks the Responses API natively, p1 chat completions; `m-native` is on p0 alone.
    static func run(
        native: SimulatorSettings = DialectMatrixTests.sim(.openai), _ body: @Sendable @escaping (RouterHarness) async throws -> Void
    ) async throws {
        try await RouterHarness.run(
            sims: [native, DialectMatrixTests.sim(.openai, ttft: 40)],
            yaml: { ports in
                testYAML(
                    ports: ports,
                    extraModels: """
                          - name: m-native
                            deployments: [{ provider: p0, model: native-sim }]
                        """,
                    extraKeys: """
                          - id: other
                            key: \(ResponsesSDKTests.otherKey)
                        """, dialects: ["openai-responses", "openai"])
            }, body)
    }

    @Test(
        "the openai package's responses.create/stream, two turns through previous_response_id, a tool round trip, reasoning summaries, retrieve and delete, answered by a native deployment on /v1/responses",
        .enabled(if: PythonScript.python != nil))
    func responsesSDK() async throws {
        try await Self.run { harness in
            let (status, text) = try await PythonScript.run(
                "responses_sdk_check.py", arguments: [harness.base + "/v1", RouterHarness.clientKey, ResponsesSDKTests.otherKey, "m-native"])
            #expect(status == 0, "\(text)")
            let answer = DialectMatrixTests.expectedText
            #expect(text.contains("m-native create: \(answer)"), "\(text)")
            #expect(text.contains("m-native stream: \(answer)"), "\(text)")
            #expect(text.contains("m-native sequence: True"), "\(text)")
            #expect(text.contains("m-native second turn: \(answer) [previous True] [input True]"), "\(text)")
            #expect(text.contains("m-native tool: get_weather True"), "\(text)")
            #expect(text.contains("m-native after tool: \(answer)"), "\(text)")
            #expect(text.contains("m-native streamed tool: get_weather True"), "\(text)")
            #expect(text.contains("m-native reasoning: 1 True message"), "\(text)")
            #expect(text.contains("m-native streamed reasoning: True"), "\(text)")
            #expect(text.contains("m-native retrieve: True"), "\(text)")
            #expect(text.contains("m-native deleted: 404"), "\(text)")
            #expect(text.contains("other key previous: 404 previous_response_id"), "\(text)")
            // Every answer came from the native endpoint; nothing reached chat completions on either simulator.
            let native = harness.sims[0].stats
            #expect(native.responses > 0)
            #expect(native.responses == native.received)
            #expect(harness.sims[1].stats.received == 0)
        }
    }

    @Test(
        "the openai package's chat completions and the anthropic package (text, streams, tool use, images) are answered by a native deployment",
        .enabled(if: PythonScript.python != nil))
    func otherClientsSDK() async throws {
        try await Self.run { harness in
            let answer = DialectMatrixTests.expectedText
            let (openAIStatus, openAI) = try await PythonScript.run(
                "openai_sdk_check.py", arguments: [harness.base + "/v1", RouterHarness.clientKey, "m-native"])
            #expect(openAIStatus == 0, "\(openAI)")
            #expect(openAI.contains("m-native stream: \(answer)"), "\(openAI)")
            #expect(openAI.contains("m-native create: \(answer)"), "\(openAI)")
            let (anthropicStatus, anthropic) = try await PythonScript.run(
                "anthropic_sdk_check.py", arguments: [harness.base, RouterHarness.clientKey, "m-native"])
            #expect(anthropicStatus == 0, "\(anthropic)")
            #expect(anthropic.contains("m-native create: \(answer)"), "\(anthropic)")
            #expect(anthropic.contains("m-native stream: \(answer)"), "\(anthropic)")
            #expect(anthropic.contains("m-native tool: get_weather [tool_use]"), "\(anthropic)")
            #expect(anthropic.contains("m-native after tool: \(answer)"), "\(anthropic)")
            #expect(anthropic.contains("m-native streamed tool: get_weather True"), "\(anthropic)")
            #expect(anthropic.contains("m-native image: \(answer)"), "\(anthropic)")
            let native = harness.sims[0].stats
            #expect(native.responses > 0)
            #expect(native.responses == native.received)
        }
    }

    @Test("dialect openai-responses is a known provider dialect with an OpenAI base URL; an unknown dialect's message lists it")
    func configuration() throws {
        let yaml = """
            providers:
              - { id: r, dialect: openai-responses, base_url: "https://api.example.test/v1", api_key: sk-test }
            models:
              - name: m
                deployments: [ { provider: r, model: x } ]
            keys:
              - { id: k, key: \(RouterHarness.clientKey) }
            """
        let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: [:])
        #expect(configuration.provider(id: "r")?.dialect == .openaiResponses)
        #expect(configuration.provider(id: "r")?.baseURL == "https://api.example.test/v1")
        let issues = ConfigurationTests.issues(yaml.replacingOccurrences(of: "openai-responses", with: "openai-response"))
        #expect(issues.contains("providers[0].dialect: unknown dialect 'openai-response' (known: openai, openai-responses, anthropic, gemini, cog)"), "\(issues)")
    }

    @Test("every client dialect reads the simulator's answer from a native deployment, streamed and whole, over plain HTTP")
    func everyClientOverHTTP() async throws {
        try await Self.run { harness in
            for client in DialectClient.allCases {
                for stream in [true, false] {
                    let request = client.request(model: "m-native", stream: stream)
                    let response = try await harness.send(request.path, body: request.body, headers: request.headers)
                    #expect(response.status == 200, "\(client), stream \(stream): \(response.body)")
                    #expect(response.headers.first(name: "x-edge-provider") == "p0")
                    #expect(client.answerText(response.body, stream: stream)?.hasPrefix(DialectMatrixTests.expectedText) == true, "\(client): \(response.body)")
                }
            }
            let body = #"{"model":"m-native","input":"Say hello","stream":true}"#
            let responses = try await harness.send("/v1/responses", body: body, headers: [("authorization", "Bearer \(RouterHarness.clientKey)")])
            #expect(responses.status == 200)
            #expect(responses.body.contains("event: response.completed"), "\(responses.body)")
            #expect(harness.sims[0].stats.responses == 7)
        }
    }

    @Test(
        "a native deployment that answers 503, or response.failed before the first token, fails over to a chat-completions deployment unseen by the Responses client",
        arguments: ["503", "stream-error"])
    func failover(fault: String) async throws {
        var failing = DialectMatrixTests.sim(.openai, ttft: 1)
        if fault == "503" {
            failing.errorRate = 1
            failing.errorStatus = 503
        } else {
            failing.streamErrorAfterTokens = 0
        }
        try await Self.run(native: failing) { harness in
            for stream in [true, false] {
                let body = #"{"model":"m","input":"Say hello","stream":\#(stream)}"#
                // The native deployment first, whatever the estimates say.
                let headers = [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-route", #"{"order":["p0","p1"]}"#)]
                let response = try await harness.send("/v1/responses", body: body, headers: headers)
                #expect(response.status == 200, "\(fault), stream \(stream): \(response.body)")
                #expect(response.headers.first(name: "x-edge-provider") == "p1", "\(fault), stream \(stream)")
                #expect(Int(response.headers.first(name: "x-edge-attempts") ?? "") == 2, "\(fault), stream \(stream)")
                #expect(!response.body.contains("response.failed"), "\(response.body)")
                #expect(response.body.contains(stream ? "event: response.completed" : #""status":"completed""#), "\(response.body)")
            }
            #expect(harness.sims[0].stats.responses == 2)
        }
    }
}

/// What a Responses client gets from a native deployment by pass-through, over plain HTTP.
@Suite("Responses API pass-through to a native deployment", .timeLimit(.minutes(3)))
struct ResponsesPassThroughTests {
    static let headers = [("authorization", "Bearer \(RouterHarness.clientKey)")]

    /// The SSE events of a body: `id:`, `event:` and the data as JSON.
    static func events(_ body: String) -> [(id: Int?, type: String?, data: [String: Any])] {
        body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.compactMap { block in
            var id: Int?
            var type: String?
            var data: [String: Any]?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") {
                    data = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
                }
            }
            return data.map { (id, type, $0) }
        }
    }

    @Test("a stream carries the provider's own events and item ids, with the router's response id, sequence numbers equal to the SSE ids, and the client's store; the stored response is found by GET")
    func streamPassedThrough() async throws {
        try await ResponsesNativeTests.run { harness in
            let body = #"{"model":"m-native","input":"Say hello","stream":true}"#
            let response = try await harness.send("/v1/responses", body: body, headers: Self.headers)
            #expect(response.status == 200)
            let requestID = try #require(response.headers.first(name: "x-edge-request-id"))
            let events = Self.events(response.body)
            // The simulator's own bookkeeping events and item ids (the router's encoder would write `msg_<request id>_0`).
            #expect(events.map(\.type).contains("response.content_part.added"))
            #expect(events.map(\.type).contains("response.output_text.done"))
            let added = events.first { $0.type == "response.output_item.added" }
            #expect((added?.data["item"] as? [String: Any])?["id"] as? String == "msg_sim1")
            for event in events {
                #expect(event.data["type"] as? String == event.type)
                #expect(event.data["sequence_number"] as? Int == event.id, "\(event.data)")
            }
            #expect(events.first?.id == 1)
            let completed = try #require(events.last { $0.type == "response.completed" }?.data["response"] as? [String: Any])
            #expect(completed["id"] as? String == "resp_\(requestID)")
            #expect(completed["store"] as? Bool == true)
            #expect(completed["model"] as? String == "native-sim")
            let text = events.filter { $0.type == "response.output_text.delta" }.compactMap { $0.data["delta"] as? String }.joined()
            #expect(text.hasPrefix(DialectMatrixTests.expectedText))
            let stored = try await harness.send("/v1/responses/resp_\(requestID)", method: .GET, headers: Self.headers)
            #expect(stored.status == 200)
            #expect(stored.body.contains(DialectMatrixTests.expectedText), "\(stored.body)")
        }
    }

    @Test("a provider that fails after the first token: the stream ends with an error event numbered like the rest")
    func failureAfterFirstToken() async throws {
        var failing = DialectMatrixTests.sim(.openai)
        failing.streamErrorAfterTokens = 2
        try await ResponsesNativeTests.run(native: failing) { harness in
            let body = #"{"model":"m-native","input":"Say hello","stream":true}"#
            let response = try await harness.send("/v1/responses", body: body, headers: Self.headers)
            #expect(response.status == 200)
            let events = Self.events(response.body)
            let last = try #require(events.last)
            #expect(last.type == "error", "\(response.body)")
            #expect(last.data["code"] as? String == "server_error")
            #expect(last.data["sequence_number"] as? Int == last.id)
            #expect(events.filter { $0.type == "response.output_text.delta" }.count == 2)
        }
    }
}
