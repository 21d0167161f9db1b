import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
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
