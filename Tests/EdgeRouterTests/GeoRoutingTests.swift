import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import Testing

@Suite("Geolocation, residency rules and nearest-node hints", .timeLimit(.minutes(5)))
struct GeoRoutingTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("GeoIPTests/Fixtures")
    static let cityDB = fixtures.appendingPathComponent("GeoIP2-City-Test.mmdb").path
    /// In MaxMind's City test database (source JSON): a network in Great Britain, Europe.
    static let britishClient = "2.125.160.216"
    static let fast = ChatStreamingTests.fastSim()

    /// p0 serves from `eu-west`, p1 from `us-east`; the model lists the US one first, so any choice of the EU
    /// one is the rule's doing.
    static func yaml(ports: [Int], database: String = cityDB, trusted: String = "[127.0.0.0/8, \"::1/128\"]", extraKeys: String = "") -> String {
        testYAML(ports: ports, deploymentProviders: ["p1", "p0"], extraKeys: extraKeys)
            .replacingOccurrences(of: "region: region-0", with: "region: eu-west")
            .replacingOccurrences(of: "region: region-1", with: "region: us-east")
            + """

            geoip:
              city_db: "\(database)"
              reload_interval_ms: 20
              trusted_proxies: \(trusted)
              metric_countries: [GB]
            residency:
              - { name: eu-only, continents: [EU], regions: ["eu-*"] }
              - { name: us-only, regions: ["us-*"] }
            fleet:
              self: singapore
              nodes:
                - { id: singapore, url: "https://sg.edge.example", latitude: 1.35, longitude: 103.82 }
                - { id: london, url: "https://uk.edge.example", latitude: 51.5, longitude: -0.12 }
            """
    }

    static func chat(_ harness: RouterHarness, from client: String?, key: String = RouterHarness.clientKey) async throws
        -> (status: Int, headers: HTTPHeaders, body: String)
    {
        var headers = [("authorization", "Bearer \(key)")]
        if let client { headers.append(("x-forwarded-for", client)) }
        return try await harness.send(
            "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false), headers: headers)
    }

    @Test("a British client is located, served only from an EU region, and told of a nearer node")
    func britishClient() async throws {
        try await RouterHarness.run(sims: [Self.fast, Self.fast], yaml: { Self.yaml(ports: $0) }) { harness in
            let response = try await Self.chat(harness, from: Self.britishClient)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-client-geo") == "GB; EU")
            #expect(response.headers.first(name: "x-edge-residency") == "eu-only")
            #expect(response.headers.first(name: "x-edge-provider") == "p0")
            #expect(response.headers.first(name: "x-edge-nearest-node") == "https://uk.edge.example")
            #expect(harness.sims[1].stats.received == 0)

            // A client the database does not know gets no rule: the configured order applies.
            let local = try await Self.chat(harness, from: nil)
            #expect(local.headers.first(name: "x-edge-client-geo") == nil)
            #expect(local.headers.first(name: "x-edge-provider") == "p1")

            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(metrics.contains(#"edge_client_requests_total{continent="EU",country="GB"} 1"#))
            #expect(metrics.contains(#"edge_client_requests_total{continent="unknown",country="other"} 1"#))
        }
    }

    @Test("when every allowed deployment fails, the request fails closed, never going to a forbidden region")
    func failsClosed() async throws {
        try await RouterHarness.run(sims: [FailoverTests.failing(503), Self.fast], yaml: { Self.yaml(ports: $0) }) { harness in
            let response = try await Self.chat(harness, from: Self.britishClient)
            #expect(response.status == 502)
            #expect(response.body.contains("residency rule 'eu-only'"))
            #expect(harness.sims[1].stats.received == 0)
        }
    }

    @Test("a rule that leaves no deployment is a 403 naming the rule")
    func noAllowedDeployment() async throws {
        try await RouterHarness.run(
            sims: [Self.fast, Self.fast],
            yaml: { ports in
                Self.yaml(ports: ports).replacingOccurrences(of: "regions: [\"eu-*\"]", with: "regions: [\"ap-*\"]")
            }
        ) { harness in
            let response = try await Self.chat(harness, from: Self.britishClient)
            #expect(response.status == 403)
            #expect(response.body.contains("residency_violation"))
            #expect(response.body.contains("eu-only"))
            #expect(response.headers.first(name: "x-edge-client-geo") == "GB; EU")
            #expect(harness.sims[0].stats.received + harness.sims[1].stats.received == 0)
        }
    }

    @Test("forwarding headers from an untrusted peer are ignored: spoofing does not work")
    func spoofing() async throws {
        try await RouterHarness.run(
            sims: [Self.fast, Self.fast], yaml: { Self.yaml(ports: $0, trusted: "[10.0.0.0/8]") }
        ) { harness in
            for header in ["x-forwarded-for", "forwarded"] {
                let value = header == "forwarded" ? "for=\(Self.britishClient)" : Self.britishClient
                let response = try await harness.send(
                    "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                    headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), (header, value)])
                #expect(response.status == 200)
                #expect(response.headers.first(name: "x-edge-client-geo") == nil)
                #expect(response.headers.first(name: "x-edge-provider") == "p1")
            }
        }
    }

    @Test("a gateway key's own rule applies to all its requests")
    func keyRule() async throws {
        try await RouterHarness.run(
            sims: [Self.fast, Self.fast],
            yaml: { Self.yaml(ports: $0, extraKeys: "  - { id: us-team, key: us-team-key, residency: us-only }") }
        ) { harness in
            let response = try await Self.chat(harness, from: Self.britishClient, key: "us-team-key")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-residency") == "us-only")
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
        }
    }

    @Test("GET /v1/edge/nearest ranks the fleet by distance from the caller")
    func nearest() async throws {
        try await RouterHarness.run(sims: [Self.fast, Self.fast], yaml: { Self.yaml(ports: $0) }) { harness in
            let response = try await harness.send(
                "/v1/edge/nearest", method: .GET,
                headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("forwarded", "for=\"\(Self.britishClient):4711\"")])
            #expect(response.status == 200)
            let object = try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            let client = try #require(object["client"] as? [String: Any])
            #expect(client["country"] as? String == "GB")
            #expect(client["address"] as? String == Self.britishClient)
            let nodes = try #require(object["nodes"] as? [[String: Any]])
            #expect(nodes.map { $0["id"] as? String } == ["london", "singapore"])
            #expect(object["nearest"] as? String == "https://uk.edge.example")
        }
    }

    @Test("a database replaced under load is swapped in with no failed request")
    func hotReloadUnderLoad() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("edge-geo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let live = folder.appendingPathComponent("city.mmdb")
        try FileManager.default.copyItem(atPath: Self.cityDB, toPath: live.path)

        try await RouterHarness.run(sims: [Self.fast, Self.fast], yaml: { Self.yaml(ports: $0, database: live.path) }) { harness in
            #expect(try await Self.chat(harness, from: Self.britishClient).headers.first(name: "x-edge-client-geo") == "GB; EU")
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var statuses: [Int] = []
                        for _ in 0..<40 { statuses.append(try await Self.chat(harness, from: Self.britishClient).status) }
                        return statuses
                    }
                }
                // Replace the file the way geoipupdate does: write a new file, rename it over the old one.
                // MaxMind's IPv4 test database does not know the British network, so the swap is visible.
                let staged = folder.appendingPathComponent("city.mmdb.tmp")
                try FileManager.default.copyItem(
                    atPath: Self.fixtures.appendingPathComponent("MaxMind-DB-test-ipv4-24.mmdb").path, toPath: staged.path)
                #expect(rename(staged.path, live.path) == 0)
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 160)
            #expect(statuses.allSatisfy { $0 == 200 })
            // The reloader polls every 20 ms: within a bounded number of requests the new database answers.
            var swapped = false
            for _ in 0..<500 where !swapped {
                swapped = try await Self.chat(harness, from: Self.britishClient).headers.first(name: "x-edge-client-geo") == nil
            }
            #expect(swapped)
        }
    }

    @Test("a broken or missing database is refused at start-up with the file and the cause")
    func brokenDatabases() throws {
        let missing = Self.yaml(ports: [1, 2], database: "/nonexistent/city.mmdb")
        #expect(throws: EdgeRouterError.self) { try ConfigurationLoader.parse(yaml: missing, environment: ["TEST_PROVIDER_KEY": "k"]) }
        do {
            _ = try ConfigurationLoader.parse(yaml: missing, environment: ["TEST_PROVIDER_KEY": "k"])
        } catch {
            #expect(error.message.contains("geoip.city_db"))
            #expect(error.message.contains("/nonexistent/city.mmdb"))
        }
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString).mmdb")
        try Data("not a database".utf8).write(to: garbage)
        defer { try? FileManager.default.removeItem(at: garbage) }
        do {
            _ = try ConfigurationLoader.parse(yaml: Self.yaml(ports: [1, 2], database: garbage.path), environment: ["TEST_PROVIDER_KEY": "k"])
            Issue.record("a garbage database was accepted")
        } catch {
            #expect(error.message.contains(garbage.path))
        }
    }
}
