import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import Testing

/// Providers served over HTTPS with a certificate of a private authority, as real providers are: live calls and
/// probes trust the same authorities (a provider's `ca_bundle`, or `probes.ca_bundle` for every provider), so that
/// a probe never passes where live calls fail.
@Suite("TLS upstreams: a private CA trusted by live calls and probes alike", .serialized, .timeLimit(.minutes(3)))
struct TLSUpstreamTests {
    /// p0 on HTTPS (the test CA's certificate), p1 on plain HTTP, both deployments of `m`; probes every 150 ms.
    static func yaml(_ ports: [Int], p0: String = "", probesCA: String? = nil) -> String {
        ProbeSchedulingTests.yaml(ports)
            .replacingOccurrences(of: "base_url: http://127.0.0.1:\(ports[0])", with: "base_url: https://127.0.0.1:\(ports[0])")
            .replacingOccurrences(of: "  - id: p0\n", with: "  - id: p0\n\(p0)")
            .replacingOccurrences(
                of: "  first_token_timeout_ms: 2000\n", with: "  first_token_timeout_ms: 2000\n" + (probesCA.map { "  ca_bundle: \($0)\n" } ?? ""))
    }

    /// Two simulators: the faster one for p0 (HTTPS), so that ranking alone would pick it.
    static let sims = [RoutingTests.threeSims()[2], RoutingTests.threeSims()[0]]

    static func p0Entry(_ harness: RouterHarness) async throws -> [String: Any]? {
        try await ProbeSchedulingTests.admin(harness).first { $0["provider"] as? String == "p0" }
    }

    @Test("with the provider's ca_bundle, chat over HTTPS works streaming and not, four calls on one connection (one handshake)")
    func trustedProvider() async throws {
        let authority = try TestCertificateAuthority.make()
        defer { authority.remove() }
        let yaml: @Sendable ([Int]) -> String = { ports in
            testYAML(ports: ports)
                .replacingOccurrences(of: "base_url: http://127.0.0.1:\(ports[0])", with: "base_url: https://127.0.0.1:\(ports[0])")
                .replacingOccurrences(of: "  - id: p0\n", with: "  - id: p0\n    ca_bundle: \(authority.caPath)\n")
        }
        try await RouterHarness.run(sims: Self.sims, tls: [authority.serverTLS], yaml: yaml) { harness in
            for stream in [false, true, false, true] {
                let response = try await harness.send("/v1/chat/completions", body: RouterHarness.chatBody(model: "p0/m", stream: stream))
                #expect(response.status == 200, "\(response.body)")
                #expect(response.headers.first(name: "x-edge-provider") == "p0")
                #expect(stream ? ssePayloads(response.body).last == "[DONE]" : response.body.contains(#""chat.completion""#))
            }
            #expect(harness.sims[0].stats.received == 4)
            #expect(harness.sims[0].stats.connections == 1)
        }
    }

    @Test("probes.ca_bundle is trusted by live calls and probes alike: chat over HTTPS works and the probes measure a TLS handshake")
    func probesBundleReachesLiveCalls() async throws {
        let authority = try TestCertificateAuthority.make()
        defer { authority.remove() }
        try await RouterHarness.run(
            sims: Self.sims, tls: [authority.serverTLS], yaml: { Self.yaml($0, probesCA: authority.caPath) }
        ) { harness in
            let response = try await harness.send("/v1/chat/completions", body: RouterHarness.chatBody(model: "p0/m", stream: false))
            #expect(response.status == 200, "\(response.body)")
            #expect(response.headers.first(name: "x-edge-provider") == "p0")
            #expect(try await ProbeSchedulingTests.eventually {
                let probe = try await Self.p0Entry(harness)?["last_probe"] as? [String: Any]
                return (probe?["status"] as? Int) == 200 && ((probe?["tls_ms"] as? Double) ?? 0) > 0
            })
        }
    }

    @Test("without the authority, live calls to the HTTPS provider fail over to the plain one and its probes fail too: they agree")
    func untrustedProvider() async throws {
        let authority = try TestCertificateAuthority.make()
        defer { authority.remove() }
        try await RouterHarness.run(sims: Self.sims, tls: [authority.serverTLS], yaml: { Self.yaml($0) }) { harness in
            // The client's order puts p0 first; its handshake fails, so the request goes on to p1 unseen.
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-route", #"{"order":["p0","p1"]}"#)])
            #expect(response.status == 200, "\(response.body)")
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(harness.sims[0].stats.received == 0)
            #expect(try await ProbeSchedulingTests.eventually {
                let probe = try await Self.p0Entry(harness)?["last_probe"] as? [String: Any]
                return ((probe?["error"] as? String) ?? "").contains("certificate")
            })
        }
    }

    @Test("a ca_bundle that is missing or holds no certificate is a configuration error naming the field")
    func badBundle() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).pem")
        try Data("not a certificate\n".utf8).write(to: empty)
        defer { try? FileManager.default.removeItem(at: empty) }
        for (path, field) in [("/nonexistent/ca.pem", "providers[0].ca_bundle"), (empty.path, "providers[0].ca_bundle")] {
            let yaml = Self.yaml([1, 2], p0: "    ca_bundle: \(path)\n")
            #expect(throws: (any Error).self) { try ConfigurationLoader.parse(yaml: yaml, environment: ["TEST_PROVIDER_KEY": "k"]) }
            do {
                _ = try ConfigurationLoader.parse(yaml: yaml, environment: ["TEST_PROVIDER_KEY": "k"])
            } catch {
                let text = error.configurationIssues.map { "\($0)" }.joined(separator: "\n")
                #expect(text.contains(field) && text.contains(path), "\(text)")
            }
        }
        let probesYAML = Self.yaml([1, 2], probesCA: "/nonexistent/ca.pem")
        do {
            _ = try ConfigurationLoader.parse(yaml: probesYAML, environment: ["TEST_PROVIDER_KEY": "k"])
            Issue.record("accepted a missing probes.ca_bundle")
        } catch {
            #expect(error.configurationIssues.map { "\($0)" }.joined().contains("probes.ca_bundle"))
        }
    }
}
