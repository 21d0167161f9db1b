import EdgeRouter
import Foundation
import NIOHTTP1
import Testing

/// `POST /v1/messages/count_tokens`: passed to an Anthropic-dialect deployment of the model, refused for a model
/// without one.
@Suite("Anthropic count_tokens", .timeLimit(.minutes(2)))
struct CountTokensTests {
    static func yaml(stubPort: Int, simPorts: [Int]) -> String {
        testYAML(
            ports: simPorts,
            extraProviders: """
                  - id: claude
                    dialect: anthropic
                    base_url: http://127.0.0.1:\(stubPort)
                    api_key: ${TEST_PROVIDER_KEY}
                """,
            extraModels: """
                  - name: both
                    deployments: [{ provider: p0, model: gpt-x }, { provider: claude, model: claude-x }]
                """)
    }

    static let anthropicHeaders = [
        ("x-api-key", RouterHarness.clientKey), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "token-counting-2024-11-01"),
    ]

    @Test("the request goes to the Anthropic deployment with its model id, its key and the client's version headers; the count comes back")
    func countedByAnthropicDeployment() async throws {
        try await StubProvider.with({ _, connection in
            let body = #"{"input_tokens":42}"#
            try await connection.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")
        }) { stub in
            try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { Self.yaml(stubPort: stub.port, simPorts: $0) }) { harness in
                let response = try await harness.send(
                    "/v1/messages/count_tokens", body: #"{"model":"both","messages":[{"role":"user","content":"Hello"}]}"#,
                    headers: Self.anthropicHeaders)
                #expect(response.status == 200)
                #expect(response.body == #"{"input_tokens":42}"#)
                #expect(response.headers.first(name: "x-edge-provider") == "claude")
                let sent = try #require(stub.requests.first)
                #expect(sent.line == "POST /v1/messages/count_tokens HTTP/1.1")
                #expect(sent.headers["x-api-key"] == "provider-secret")
                #expect(sent.headers["anthropic-version"] == "2023-06-01")
                #expect(sent.headers["anthropic-beta"] == "token-counting-2024-11-01")
                #expect(sent.headers["authorization"] == nil)
                #expect(sent.body == #"{"model":"claude-x","messages":[{"role":"user","content":"Hello"}]}"#)
            }
        }
    }

    @Test("a model without an Anthropic deployment is a 400 in Anthropic's shape that says so; a provider's refusal keeps its status")
    func refusals() async throws {
        try await StubProvider.with({ _, connection in
            let body = #"{"type":"error","error":{"type":"invalid_request_error","message":"messages: too short"}}"#
            try await connection.write("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")
        }) { stub in
            try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { Self.yaml(stubPort: stub.port, simPorts: $0) }) { harness in
                let none = try await harness.send(
                    "/v1/messages/count_tokens", body: #"{"model":"m","messages":[]}"#, headers: Self.anthropicHeaders)
                #expect(none.status == 400)
                let error = try #require(DialectClient.anthropic.error(none.body), "\(none.body)")
                #expect(error.type == "invalid_request_error")
                #expect(error.message.contains("no Anthropic-dialect deployment"))

                let refused = try await harness.send(
                    "/v1/messages/count_tokens", body: #"{"model":"both","messages":[]}"#, headers: Self.anthropicHeaders)
                #expect(refused.status == 400)
                #expect(DialectClient.anthropic.error(refused.body)?.message.contains("messages: too short") == true, "\(refused.body)")
            }
        }
    }
}
