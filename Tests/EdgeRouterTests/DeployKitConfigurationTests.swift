import EdgeRouter
import Foundation
import Testing

/// The configuration the Kubernetes kit ships (in its ConfigMap) loads for every region overlay, and the pod's
/// grace period covers the preStop pause plus the router's drain.
@Suite("Deploy kit configuration")
struct DeployKitConfigurationTests {
    static let kubernetes = MetricCatalogueTests.repository.appendingPathComponent("deploy/kubernetes")
    static let geoFixtures = GeoRoutingTests.fixtures

    /// The router configuration inside base/configmap.yaml (the block under `edge-router.yaml: |`), with the
    /// GeoIP paths pointed at the test databases (in the pod, the geoipupdate init container fetches them).
    static func configuration() throws -> String {
        let text = try String(contentsOf: kubernetes.appendingPathComponent("base/configmap.yaml"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "edge-router.yaml: |" })
        let block = lines[(start + 1)...].map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }
        return block.joined(separator: "\n")
            .replacingOccurrences(
                of: "/var/lib/GeoIP/GeoLite2-City.mmdb", with: geoFixtures.appendingPathComponent("GeoLite2-City-Test.mmdb").path)
            .replacingOccurrences(
                of: "/var/lib/GeoIP/GeoLite2-ASN.mmdb", with: geoFixtures.appendingPathComponent("GeoLite2-ASN-Test.mmdb").path)
    }

    static func environment(region: String) -> [String: String] {
        [
            "OPENAI_API_KEY": "provider-key-1", "ANTHROPIC_API_KEY": "provider-key-2", "GEMINI_API_KEY": "provider-key-3",
            "EDGE_KEY_AGENTS": "gateway-key-agents", "EDGE_ADMIN_KEY": "gateway-key-admin", "EDGE_FLEET_SELF": region,
        ]
    }

    @Test("the ConfigMap's configuration loads for each overlay's region, which is one of its fleet nodes, with GeoIP and probes on")
    func configMapLoadsPerRegion() throws {
        let overlays = try FileManager.default.contentsOfDirectory(atPath: Self.kubernetes.appendingPathComponent("overlays").path).sorted()
        #expect(overlays == ["ap-southeast", "eu-west", "us-east"])
        let yaml = try Self.configuration()
        for region in overlays {
            let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: Self.environment(region: region))
            #expect(configuration.geo.fleet?.selfID == region)
            #expect(configuration.geo.fleet?.nodes.map(\.id).sorted() == overlays)
            #expect(configuration.geo.isGeolocationEnabled)
            #expect(configuration.probes != nil)
            #expect(configuration.server.port == 8080)
        }
        #expect(throws: EdgeRouterError.self) {
            _ = try ConfigurationLoader.parse(yaml: yaml, environment: Self.environment(region: "mars"))
        }
    }

    @Test("terminationGracePeriodSeconds covers the 10 s preStop sleep plus server.drain_timeout_ms")
    func gracePeriodCoversDrain() throws {
        let deployment = try String(contentsOf: Self.kubernetes.appendingPathComponent("base/deployment.yaml"), encoding: .utf8)
        func number(after key: String) throws -> Int {
            let line = try #require(deployment.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key) })
            return try #require(Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? ""))
        }
        let grace = try number(after: "terminationGracePeriodSeconds:")
        #expect(deployment.contains(#"command: ["sleep", "10"]"#))
        let configuration = try ConfigurationLoader.parse(yaml: Self.configuration(), environment: Self.environment(region: "us-east"))
        #expect(Duration.seconds(grace) >= .seconds(10) + configuration.server.drainTimeout + .seconds(5))
    }
}
