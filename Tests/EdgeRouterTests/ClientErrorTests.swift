import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

@Suite("Bad input gets a clear OpenAI-shaped error", .timeLimit(.minutes(5)))
struct ClientErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String?
        var headers: [(String, String)]
        var status: Int
        var code: String
        var param: String?
        var testDescription: String { name }
    }

    static let auth = [("authorization", "Bearer \(RouterHarness.clientKey)")]
    static let cases: [Case] = [
        Case(name: "no key", body: RouterHarness.chatBody(model: "m", stream: false), headers: [], status: 401, code: "invalid_api_key"),
        Case(
            name: "wrong key", body: RouterHarness.chatBody(model: "m", stream: false),
            headers: [("authorization", "Bearer wrong-key")], status: 401, code: "invalid_api_key"),
        Case(
            name: "model not allowed for the key", body: RouterHarness.chatBody(model: "other", stream: false),
            headers: auth, status: 403, code: "model_not_allowed", param: "model"),
        Case(name: "malformed JSON", body: #"{"model": "m", "#, headers: auth, status: 400, code: "invalid_request"),
        Case(name: "not an object", body: "[1,2]", headers: auth, status: 400, code: "invalid_request"),
        Case(
            name: "missing messages", body: #"{"model":"m"}"#, headers: auth, status: 400, code: "invalid_request",
            param: "messages"),
        Case(name: "missing model", body: #"{"messages":[]}"#, headers: auth, status: 400, code: "invalid_request", param: "model"),
        Case(
            name: "messages not an array", body: #"{"model":"m","messages":"hi"}"#, headers: auth, status: 400,
            code: "invalid_request", param: "messages"),
        Case(
            name: "message without role", body: #"{"model":"m","messages":[{"content":"hi"}]}"#, headers: auth,
            status: 400, code: "invalid_request", param: "messages[0].role"),
        Case(
            name: "stream not a boolean", body: #"{"model":"m","stream":1,"messages":[{"role":"user","content":"x"}]}"#,
            headers: auth, status: 400, code: "invalid_request", param: "stream"),
        Case(
            name: "unknown model", body: RouterHarness.chatBody(model: "nope", stream: false), headers: auth, status: 404,
            code: "model_not_found", param: "model"),
        Case(
            name: "body over the limit", body: #"{"model":"m","messages":[{"role":"user","content":""#
                + String(repeating: "x", count: 70_000) + #""}]}"#,
            headers: auth, status: 413, code: "request_too_large"),
    ]

    @Test("each mistake gets its status, code and field", arguments: cases)
    func errorShapes(_ testCase: Case) async throws {
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim()],
            yaml: { ports in
                testYAML(
                    ports: ports, extraModels: "  - { name: other, deployments: [ { provider: p0, model: o } ] }",
                    extraKeys: "", server: "  max_body_bytes: 65536"
                ).replacingOccurrences(
                    of: "key: \(RouterHarness.clientKey)", with: "key: \(RouterHarness.clientKey)\n    models: [m]")
            }
        ) { harness in
            let response = try await harness.send("/v1/chat/completions", body: testCase.body, headers: testCase.headers)
            #expect(response.status == testCase.status)
            #expect(response.headers.first(name: "content-type") == "application/json")
            let requestID = try #require(response.headers.first(name: "x-edge-request-id"))
            let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            let error = try #require(object["error"] as? [String: Any])
            #expect(error["code"] as? String == testCase.code)
            #expect(error["type"] is String)
            #expect((error["message"] as? String)?.contains(requestID) == true)
            #expect(error["param"] as? String == testCase.param)
            #expect(!response.body.contains("provider-secret"))
            #expect(harness.sims[0].stats.received == 0)
        }
    }

    @Test("the x-api-key header authenticates too, as the Anthropic SDK sends it")
    func xAPIKey() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                headers: [("x-api-key", RouterHarness.clientKey)])
            #expect(response.status == 200)
        }
    }

    @Test("an unknown endpoint is a 404 in the same shape")
    func unknownEndpoint() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.send("/v1/nothing", method: .GET)
            #expect(response.status == 404)
            #expect(response.body.contains(#""code":"not_found""#))
        }
    }
}
