import Foundation
import NIOCore
import ProviderSim
import Testing

/// The router at its open-files limit, run as a child process with a small `ulimit -n`.
@Suite("Client connections at the open-files limit", .serialized, .timeLimit(.minutes(3)))
struct DescriptorLimitTests {
    /// Runs `body` with a simulator and a router child process limited to `openFiles` descriptors.
    static func run(
        openFiles: Int, reserve: Int, _ body: @Sendable (RouterProcess, Int) async throws -> Void
    ) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let sim = ProviderSimulator(settings: ChatStreamingTests.fastSim(), logger: RouterHarness.logger) {
            continuation.yield($0)
        }
        let sims = ServiceRunner([sim])
        defer { sims.stop() }
        var iterator = ports.makeAsyncIterator()
        let simPort = try #require(await iterator.next())
        let yaml = testYAML(ports: [simPort], server: "  descriptor_reserve: \(reserve)\n  max_connections_per_client: 0\n")
            .replacingOccurrences(of: "${TEST_PROVIDER_KEY}", with: "provider-secret")
        let router = try RouterProcess(yaml: yaml, openFiles: openFiles)
        defer { router.stop() }
        let port = try #require(await router.port(), "the router did not start")
        try await body(router, port)
        await sims.stopAndWait()
    }

    /// Opens connections until `count` are open (the router may accept, refuse or leave them in its backlog).
    static func flood(_ port: Int, count: Int) async throws -> [RawClient] {
        var clients: [RawClient] = []
        for _ in 0..<count { clients.append(try await RawClient.connect(port: port)) }
        return clients
    }

    @Test("out of descriptors, the router sheds connections instead of spinning (a bounded count of accept errors), logs and counts it, and serves again once some are free")
    func backoff() async throws {
        try await Self.run(openFiles: 64, reserve: 0) { router, port in
            let start = ContinuousClock.now
            let clients = try await Self.flood(port, count: 64)
            let logged = await router.line(containing: "accepting connections failed", within: .seconds(30))
            #expect(logged != nil)
            // Stay at the limit a while: a spinning accept loop fails tens of thousands of times a second (65,000 to
            // 270,000 errors in this test before the spare descriptor), one that sheds fails a few times per
            // connection in the backlog while the shed one closes. Counted, not timed, so that a busy machine cannot
            // make it pass or fail.
            try await Task.sleep(for: .seconds(2))
            for client in clients { await client.close() }
            let atLimit = Double((ContinuousClock.now - start).components.seconds) + 1
            let fresh = try await RawClient.connect(port: port)
            try await fresh.send("GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n")
            let seen = await fresh.wait(for: .seconds(30)) { $0.text.contains("edge_accept_errors_total ") }
            #expect(seen.text.hasPrefix("HTTP/1.1 200"))
            let errors = seen.text.split(separator: "\n").first { $0.hasPrefix("edge_accept_errors_total ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            #expect(errors >= 1)
            #expect(errors <= 5_000, "\(errors) accept errors in \(atLimit) s at the limit: the accept loop spins")
            await fresh.close()
        }
    }

    @Test("with a descriptor reserve, connections beyond it are closed at once and accepted ones still reach upstream")
    func reserve() async throws {
        try await Self.run(openFiles: 96, reserve: 40) { router, port in
            let first = try await RawClient.connect(port: port)
            let others = try await Self.flood(port, count: 90)
            try await first.send(ConnectionLimitsTests.chatRequest(stream: false))
            let answer = await first.wait(for: .seconds(30)) { $0.text.contains(#""object":"chat.completion""#) }
            #expect(ConnectionLimitsTests.status(answer.text) == 200, "\(answer.text.prefix(300))")
            #expect(router.openDescriptors() < 96)
            try await first.send("GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n")
            let sample = #"edge_connections_refused_total{reason="descriptor_reserve"} "#
            let metrics = await first.wait(for: .seconds(30)) { $0.text.contains(sample) }
            let refused = metrics.text.split(separator: "\n").first { $0.hasPrefix(sample) }
                .flatMap { Double($0.dropFirst(sample.count)) } ?? 0
            #expect(refused > 0)
            for client in [first] + others { await client.close() }
        }
    }
}
