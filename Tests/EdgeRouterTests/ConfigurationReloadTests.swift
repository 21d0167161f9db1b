import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

/// `POST /admin/reload`: a valid file replaces the catalog, keys and routing settings at once, keeping what was
/// learned about deployments that stay; an invalid one is refused with `check`'s errors and changes nothing.
@Suite("Configuration reload", .timeLimit(.minutes(3)))
struct ConfigurationReloadTests {
    static let adminKey = "reload-admin"
    static let rotatedKey = "rotated-client-key"
    static let admin = [("authorization", "Bearer \(adminKey)")]

    /// Providers p0, p1 (and p2 when there is a third port) on the simulators; `models` and `keys` as given.
    static func yaml(ports: [Int], models: String, keys: String, extra: String = "") -> String {
        let providers = ports.enumerated().map { index, port in
            "  - { id: p\(index), base_url: http://127.0.0.1:\(port)/v1, api_key: key-\(index), region: r\(index), timeouts: { connect_ms: 1000, first_token_ms: 3000 } }"
        }.joined(separator: "\n")
        return """
            server:
              port: 0
            \(extra)
            providers:
            \(providers)
            models:
            \(models)
            keys:
            \(keys)
            admin_keys:
              - { id: ops, key: \(adminKey) }

            """
    }

    /// `m` on p0 and p1; the test client key.
    static func before(_ ports: [Int]) -> String {
        yaml(
            ports: ports,
            models: "  - { name: m, deployments: [{ provider: p0, model: up-0 }, { provider: p1, model: up-1 }] }",
            keys: "  - { id: client, key: \(RouterHarness.clientKey) }")
    }

    /// `m` on p0 alone, a new model `m2` on p1; the client key replaced by another.
    static func after(_ ports: [Int], extra: String = "") -> String {
        yaml(
            ports: ports,
            models: """
                  - { name: m, deployments: [{ provider: p0, model: up-0 }] }
                  - { name: m2, deployments: [{ provider: p1, model: up-2 }] }
                """,
            keys: "  - { id: client, key: \(rotatedKey) }", extra: extra)
    }

    static func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("edge-reload-\(UUID().uuidString).yaml")
    }

    static func reload(_ harness: RouterHarness) async throws -> (status: Int, object: [String: Any], body: String, headers: HTTPHeaders) {
        let response = try await harness.send("/admin/reload", method: .POST, headers: admin)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]) ?? [:]
        return (response.status, object, response.body, response.headers)
    }

    static func chat(_ harness: RouterHarness, model: String, key: String, stream: Bool = false) async throws
        -> (status: Int, headers: HTTPHeaders, body: String)
    {
        try await harness.send(
            "/v1/chat/completions", body: RouterHarness.chatBody(model: model, stream: stream),
            headers: [("authorization", "Bearer \(key)")])
    }

    static func metrics(_ harness: RouterHarness) async throws -> String {
        try await harness.send("/metrics", method: .GET, headers: []).body
    }

    @Test("a reload adds m2 (which then routes to p1), removes m's p1 deployment, replaces the client key; the report counts 1 added, 1 removed, 1 kept; p0 keeps its samples; metrics and the status page show the new checksum")
    func validReloadAppliesEverything() async throws {
        let file = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let sims = [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()]
        try await RouterHarness.run(sims: sims, configurationFile: file, yaml: { Self.before($0) }) { harness in
            // p0 first, so that it has a live sample to keep.
            let first = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-route", #"{"only":["p0"]}"#)])
            #expect(first.status == 200, "\(first.body)")
            #expect(try await Self.chat(harness, model: "m2", key: RouterHarness.clientKey).status == 404)
            let oldChecksum = try #require(harness.router.configuration.checksum)

            try Self.after(harness.simPorts).write(to: file, atomically: true, encoding: .utf8)
            let reload = try await Self.reload(harness)

            #expect(reload.status == 200, "\(reload.body)")
            #expect(reload.object["status"] as? String == "applied")
            let counts = try #require(reload.object["deployments"] as? [String: Int], "\(reload.body)")
            #expect(counts == ["added": 1, "removed": 1, "kept": 1])
            #expect(reload.object["added"] as? [String] == ["m2 p1/up-2"])
            #expect(reload.object["removed"] as? [String] == ["m p1/up-1"])
            #expect((reload.object["needs_restart"] as? [String])?.isEmpty == true, "\(reload.body)")
            #expect(reload.object["previous_checksum"] as? String == oldChecksum)
            let newChecksum = try #require(reload.object["checksum"] as? String)
            #expect(newChecksum != oldChecksum)
            #expect(harness.router.configuration.checksum == newChecksum)

            // The old key is gone, the new one works; m2 routes to p1, m only to p0.
            #expect(try await Self.chat(harness, model: "m", key: RouterHarness.clientKey).status == 401)
            let m2 = try await Self.chat(harness, model: "m2", key: Self.rotatedKey)
            #expect(m2.status == 200, "\(m2.body)")
            #expect(m2.headers.first(name: "x-edge-provider") == "p1")
            let m = try await Self.chat(harness, model: "m", key: Self.rotatedKey, stream: true)
            #expect(m.status == 200)
            #expect(m.headers.first(name: "x-edge-provider") == "p0")
            #expect(m.body.hasSuffix("data: [DONE]\n\n"))

            // p0 kept its estimate (its first sample plus the one since); p1 is no longer a deployment of m.
            let routes = try await harness.send("/admin/routes", method: .GET, headers: Self.admin)
            let object = try #require(JSONSerialization.jsonObject(with: Data(routes.body.utf8)) as? [String: Any])
            let models = try #require(object["models"] as? [[String: Any]])
            let mDeployments = try #require(models.first { $0["model"] as? String == "m" }?["deployments"] as? [[String: Any]], "\(routes.body)")
            #expect(mDeployments.map { $0["provider"] as? String } == ["p0"])
            let samples = try #require(mDeployments.first?["samples"] as? [String: Int])
            #expect((samples["live"] ?? 0) >= 2, "\(samples)")

            let scrape = try await Self.metrics(harness)
            #expect(scrape.contains(#"edge_config_info{checksum="\#(newChecksum)"} 1"#), "\(scrape.split(separator: "\n").filter { $0.contains("edge_config") })")
            #expect(!scrape.contains(#"checksum="\#(oldChecksum)""#))
            #expect(scrape.contains(#"edge_config_reloads_total{outcome="applied"} 1"#))
            #expect(scrape.contains(#"edge_requests_total{model="m2",provider="p1",outcome="ok"} 1"#))

            let status = try await harness.send("/status", method: .GET, headers: Self.admin)
            #expect(status.status == 200)
            #expect(status.body.contains("SHA-256 \(newChecksum)"))
        }
    }

    @Test("an invalid file answers 422 with exactly the errors ConfigurationLoader (and so check) gives, counts a refused reload, and changes nothing")
    func invalidFileIsRefused() async throws {
        let file = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], configurationFile: file, yaml: { Self.before($0) }) {
            harness in
            let checksum = harness.router.configuration.checksum
            let invalid = Self.yaml(
                ports: harness.simPorts,
                models: "  - { name: m, deployments: [{ provider: nowhere, model: up-0 }] }\n  - { name: m3, colour: blue, deployments: [] }",
                keys: "  - { id: client, key: \(Self.rotatedKey) }")
            try invalid.write(to: file, atomically: true, encoding: .utf8)
            var expected: EdgeRouterError?
            do throws(EdgeRouterError) {
                _ = try ConfigurationLoader.load(path: file.path)
            } catch {
                expected = error
            }
            let checkErrors = try #require(expected)
            #expect(checkErrors.configurationIssues.count >= 2)

            let reload = try await Self.reload(harness)

            #expect(reload.status == 422, "\(reload.body)")
            let error = try #require(reload.object["error"] as? [String: Any], "\(reload.body)")
            // OpenAI's shape, as every admin error: check's text, then the request id.
            let requestID = try #require(reload.headers.first(name: "x-edge-request-id"))
            #expect(error["message"] as? String == "\(checkErrors.message) (request id \(requestID))", "\(reload.body)")
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error["code"] as? String == "invalid_configuration")
            #expect(harness.router.configuration.checksum == checksum)
            let served = try await Self.chat(harness, model: "m", key: RouterHarness.clientKey)
            #expect(served.status == 200)
            #expect(try await Self.chat(harness, model: "m", key: Self.rotatedKey).status == 401)
            let scrape = try await Self.metrics(harness)
            #expect(scrape.contains(#"edge_config_reloads_total{outcome="refused"} 1"#))
            #expect(scrape.contains(#"edge_config_reloads_total{outcome="applied"} 0"#))
            #expect(scrape.contains(#"edge_config_info{checksum="\#(checksum ?? "none")"} 1"#))
        }
    }

    @Test("a reload that also changes server.max_body_bytes and the resume settings applies the rest and names those two as needing a restart")
    func restartOnlySettingsAreReported() async throws {
        let file = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], configurationFile: file, yaml: { Self.before($0) }) {
            harness in
            let extra = "  max_body_bytes: 65536\nresume:\n  retain_ms: 1000"
            try Self.after(harness.simPorts, extra: extra).write(to: file, atomically: true, encoding: .utf8)
            let reload = try await Self.reload(harness)
            #expect(reload.status == 200, "\(reload.body)")
            #expect(reload.object["needs_restart"] as? [String] == ["server.max_body_bytes", "resume"], "\(reload.body)")
            #expect(harness.router.configuration.server.maxBodyBytes == 8 << 20)
            #expect(try await Self.chat(harness, model: "m2", key: Self.rotatedKey).status == 200)
        }
    }

    @Test("a reload that replaces the admin key ends the status page's sessions: the old cookie and the old key get 401, the new key gets the page")
    func newAdminKeysEndSessions() async throws {
        let file = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], configurationFile: file, yaml: { Self.before($0) }) {
            harness in
            try await StatusClient.with(harness.base) { status in
                let login = try await status.login(key: Self.adminKey)
                let cookie = try #require(login.cookie, "no session cookie")
                #expect(try await status.send("/status", headers: [("cookie", cookie)]).status == 200)

                let rotated = Self.before(harness.simPorts).replacingOccurrences(
                    of: "{ id: ops, key: \(Self.adminKey) }", with: "{ id: ops, key: new-admin-key }")
                try rotated.write(to: file, atomically: true, encoding: .utf8)
                #expect(try await Self.reload(harness).status == 200)

                #expect(try await status.send("/status", headers: [("cookie", cookie)]).status == 401)
                #expect(try await status.send("/admin/routes", headers: Self.admin).status == 401)
                #expect(try await status.send("/status", headers: [("authorization", "Bearer new-admin-key")]).status == 200)
            }
        }
    }

    @Test("POST /admin/reload needs an admin key: the client key gets 401 and nothing is reloaded")
    func reloadNeedsAdminKey() async throws {
        let file = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], configurationFile: file, yaml: { Self.before($0) }) {
            harness in
            try Self.after(harness.simPorts).write(to: file, atomically: true, encoding: .utf8)
            let response = try await harness.send("/admin/reload", method: .POST)
            #expect(response.status == 401)
            #expect(try await Self.chat(harness, model: "m", key: RouterHarness.clientKey).status == 200)
        }
    }
}
