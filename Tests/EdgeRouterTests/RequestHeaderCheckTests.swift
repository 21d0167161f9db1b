import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

@Suite("x-edge-timeout-ms and x-edge-route are checked: a mistake is a 400 naming the header", .timeLimit(.minutes(2)))
struct RequestHeaderCheckTests {
    static let auth = ("authorization", "Bearer \(RouterHarness.clientKey)")

    static let badTimeouts = ["abc", "-5", "0", "1e9", "", "12.5", "+100", " ", "99999999999999999999999", "100, 200", "0x10"]

    @Test("a bad x-edge-timeout-ms is a 400 in OpenAI's shape naming the header, and nothing goes upstream", arguments: badTimeouts)
    func badTimeout(_ value: String) async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                headers: [Self.auth, ("x-edge-timeout-ms", value)])
            #expect(response.status == 400)
            let error = try openAIError(response.body)
            #expect(error["code"] as? String == "invalid_request")
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error["param"] as? String == "x-edge-timeout-ms")
            #expect((error["message"] as? String)?.contains("x-edge-timeout-ms") == true)
            #expect(harness.sims[0].stats.received == 0)
        }
    }

    @Test("a good x-edge-timeout-ms is accepted, and one above request_timeout_ms is clamped to it, not refused")
    func goodTimeouts() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            for value in ["5000", "0005000", "9223372036854775807"] {
                let response = try await harness.send(
                    "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                    headers: [Self.auth, ("x-edge-timeout-ms", value)])
                #expect(response.status == 200, "x-edge-timeout-ms: \(value)")
            }
        }
    }

    struct RouteCase: Sendable, CustomTestStringConvertible {
        var header: String
        var mentions: [String]
        var testDescription: String { header }
    }

    /// `lonely` exists, but serves only the model `other`, not `m`.
    static let routeCases: [RouteCase] = [
        RouteCase(header: #"{"only":["ghost"]}"#, mentions: ["unknown provider", "'ghost'", "'only'"]),
        RouteCase(header: #"{"only":["p0","ghost","phantom"]}"#, mentions: ["'ghost'", "'phantom'", "'only'"]),
        RouteCase(header: #"{"ignore":["ghost"]}"#, mentions: ["unknown provider", "'ghost'", "'ignore'"]),
        RouteCase(header: #"{"order":["ghost"]}"#, mentions: ["unknown provider", "'ghost'", "'order'"]),
        RouteCase(header: #"{"only":["lonely"]}"#, mentions: ["'lonely'", "does not serve", "'m'", "p0"]),
        RouteCase(header: #"{"order":["p0","lonely"]}"#, mentions: ["'lonely'", "does not serve", "'order'"]),
        RouteCase(header: #"{"ignore":["lonely"]}"#, mentions: ["'lonely'", "does not serve", "'ignore'"]),
    ]

    @Test("x-edge-route naming an unknown provider, or one that does not serve the model, is a 400 naming it", arguments: routeCases)
    func unknownProviders(_ testCase: RouteCase) async throws {
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim()],
            yaml: { ports in
                testYAML(
                    ports: ports,
                    extraProviders: "  - { id: lonely, base_url: \"http://127.0.0.1:\(ports[0])/v1\" }",
                    extraModels: "  - { name: other, deployments: [ { provider: lonely, model: o } ] }")
            }
        ) { harness in
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                headers: [Self.auth, ("x-edge-route", testCase.header)])
            #expect(response.status == 400)
            let error = try openAIError(response.body)
            #expect(error["code"] as? String == "invalid_request")
            #expect(error["param"] as? String == "x-edge-route")
            let message = try #require(error["message"] as? String)
            #expect(message.hasPrefix("x-edge-route: "))
            for mention in testCase.mentions { #expect(message.contains(mention), "\(message) mentions \(mention)") }
            #expect(harness.sims[0].stats.received == 0)
        }
    }

    @Test("x-edge-route naming only providers of the model still routes")
    func knownProviders() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) {
            harness in
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                headers: [Self.auth, ("x-edge-route", #"{"only":["p1"],"ignore":["p0"],"order":["p1"]}"#)])
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
        }
    }
}
