import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOHTTP1
import Testing

@Suite("Every route answers the same with or without a trailing slash; listings are byte-stable", .timeLimit(.minutes(2)))
struct RoutePathTests {
    static let auth = ("authorization", "Bearer \(RouterHarness.clientKey)")
    static let admin = ("authorization", "Bearer admin-secret")

    static func yaml(_ ports: [Int]) -> String {
        testYAML(ports: ports, extraModels: "  - { name: n, aliases: [n1, n2], deployments: [ { provider: p0, model: x }, { provider: p1, model: y } ] }")
            + "\nadmin_keys:\n  - { id: ops, key: admin-secret }"
    }

    struct Route: Sendable, CustomTestStringConvertible {
        var method: HTTPMethod
        var path: String
        var headers: [(String, String)]
        var body: String?
        var status: Int
        var testDescription: String { "\(method) \(path)" }
    }

    static let routes: [Route] = [
        Route(method: .POST, path: "/v1/chat/completions", headers: [auth], body: RouterHarness.chatBody(model: "m", stream: false), status: 200),
        Route(method: .GET, path: "/v1/models", headers: [auth], body: nil, status: 200),
        Route(method: .GET, path: "/v1/edge/nearest", headers: [auth], body: nil, status: 200),
        Route(method: .GET, path: "/admin/routes", headers: [admin], body: nil, status: 200),
        Route(method: .GET, path: "/healthz", headers: [], body: nil, status: 200),
        Route(method: .GET, path: "/readyz", headers: [], body: nil, status: 200),
        Route(method: .GET, path: "/metrics", headers: [], body: nil, status: 200),
    ]

    @Test("a trailing slash (and a query after it) reaches the same route as the canonical path", arguments: routes)
    func trailingSlash(_ route: Route) async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], yaml: Self.yaml) { harness in
            for path in [route.path, route.path + "/", route.path + "/?x=1"] {
                let response = try await harness.send(path, method: route.method, body: route.body, headers: route.headers)
                #expect(response.status == route.status, "\(route.method) \(path)")
                if route.path == "/v1/chat/completions" {
                    #expect(response.headers.first(name: "x-edge-provider") != nil, "\(path)")
                }
            }
        }
    }

    @Test("an unknown path is a 404 not_found in OpenAI's shape, with or without a trailing slash, whatever the method")
    func unknownPath() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], yaml: Self.yaml) { harness in
            for (method, path) in [(HTTPMethod.GET, "/v1/nope"), (.GET, "/v1/nope/"), (.POST, "/v1/chat/completion/"), (.POST, "/v1/chat/completions/x")] {
                let response = try await harness.send(path, method: method, body: method == .POST ? "{}" : nil, headers: [Self.auth])
                #expect(response.status == 404, "\(method) \(path)")
                #expect(try openAIError(response.body)["code"] as? String == "not_found", "\(method) \(path)")
            }
        }
    }

    @Test("/v1/models gives the same bytes on every call, in OpenAI's key order")
    func modelsDeterministic() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], yaml: Self.yaml) { harness in
            var bodies: Set<String> = []
            for _ in 0..<20 {
                let response = try await harness.send("/v1/models", method: .GET, headers: [Self.auth])
                #expect(response.status == 200)
                bodies.insert(response.body)
            }
            #expect(bodies.count == 1)
            let body = try #require(bodies.first)
            #expect(body.hasPrefix(#"{"object":"list","data":[{"id":"m","object":"model","created":0,"owned_by":"edge-router","#))
            let object = try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let data = try #require(object["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["m", "n"])
            #expect(data[1]["aliases"] as? [String] == ["n1", "n2"])
            let providers = try #require(data[1]["providers"] as? [[String: String]])
            #expect(providers == [
                ["provider": "p0", "model": "x", "region": "region-0", "dialect": "openai"],
                ["provider": "p1", "model": "y", "region": "region-1", "dialect": "openai"],
            ])
        }
    }

    @Test("/admin/routes gives the same bytes on calls with nothing in between")
    func adminDeterministic() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], yaml: Self.yaml) { harness in
            var bodies: Set<String> = []
            for _ in 0..<10 {
                let response = try await harness.send("/admin/routes", method: .GET, headers: [Self.admin])
                #expect(response.status == 200)
                bodies.insert(response.body)
            }
            #expect(bodies.count == 1)
        }
    }
}
