import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// SIGHUP reloads the configuration of a real `edge-router serve` process, and leaves SIGINT's graceful shutdown
/// as it was.
@Suite("SIGHUP reload", .serialized, .timeLimit(.minutes(2)))
struct HangupReloadTests {
    static func yaml(models: String) -> String {
        """
        server:
          port: 0
        providers:
          - { id: p0, base_url: "http://127.0.0.1:9/v1", region: r0 }
        models:
        \(models)
        keys:
          - { id: client, key: \(RouterHarness.clientKey) }

        """
    }

    /// The model ids `GET /v1/models` lists.
    static func models(port: Int) async throws -> [String] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/models")
        request.headers.add(name: "authorization", value: "Bearer \(RouterHarness.clientKey)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any]
        return ((object?["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
    }

    @Test("SIGHUP with a new file logs 'configuration reloaded' with the file's checksum and serves its new model; with an invalid file it logs the refusal and keeps serving; SIGINT then still exits 0 after a graceful shutdown")
    func hangupReloadsAndInterruptStillDrains() async throws {
        let router = try RouterProcess(yaml: Self.yaml(models: "  - { name: m, deployments: [{ provider: p0, model: up }] }"), openFiles: 1024)
        var stopped = false
        defer { if !stopped { router.stop() } }
        let port = try #require(await router.port(), "the router did not start")
        #expect(await router.line(containing: "reloading the configuration on SIGHUP") != nil)
        #expect(try await Self.models(port: port) == ["m"])

        try Self.yaml(models: "  - { name: m, deployments: [{ provider: p0, model: up }] }\n  - { name: m2, deployments: [{ provider: p0, model: up2 }] }")
            .write(to: router.configFile, atomically: true, encoding: .utf8)
        let checksum = try #require(try ConfigurationLoader.load(path: router.configFile.path, environment: [:]).checksum)
        kill(router.process.processIdentifier, SIGHUP)
        let reloaded = try #require(await router.line(containing: "configuration reloaded"), "no reload logged")
        #expect(reloaded.contains("config_checksum=\(checksum)"), "\(reloaded)")
        #expect(reloaded.contains("trigger=sighup"), "\(reloaded)")
        #expect(try await Self.models(port: port) == ["m", "m2"])

        try "models: [".write(to: router.configFile, atomically: true, encoding: .utf8)
        kill(router.process.processIdentifier, SIGHUP)
        let refused = try #require(await router.line(containing: "configuration reload refused"), "no refusal logged")
        #expect(refused.contains("not valid YAML"), "\(refused)")
        #expect(try await Self.models(port: port) == ["m", "m2"])

        router.process.interrupt()
        stopped = true
        let exited = try await bounded(.seconds(30), "the router's exit after SIGINT") {
            router.process.waitUntilExit()
            return router.process.terminationStatus
        }
        #expect(exited == 0)
    }
}
