import EdgeRouter
import Foundation
import Testing

/// Live status pages and a graceful shutdown.
@Suite("Status page and graceful shutdown", .timeLimit(.minutes(2)))
struct StatusShutdownTests {
    @Test("a graceful shutdown ends open event streams at once: they do not hold the drain open until its timeout")
    func shutdownEndsStreams() async throws {
        let yaml = testYAML(ports: [9], server: "  drain_timeout_ms: 30000") + """

            admin_keys:
              - { id: ops, key: \(StatusClient.adminKey) }
            status: { event_interval_ms: 200 }
            """
        let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: ["TEST_PROVIDER_KEY": "k"])
        #expect(configuration.server.drainTimeout == .seconds(30))
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let router = try EdgeRouterServer(configuration: configuration, logger: RouterHarness.logger) { portContinuation.yield($0) }
        let service = ServiceRunner([router])
        let port = try await first(of: ports, "the router listening")
        try await StatusClient.with("http://127.0.0.1:\(port)") { status in
            let (received, receivedContinuation) = AsyncStream.makeStream(of: Int.self)
            let reader = Task {
                try await status.events(
                    1_000, headers: [("authorization", "Bearer \(StatusClient.adminKey)")], within: .seconds(60),
                    onEvent: { receivedContinuation.yield($0) })
            }
            _ = try await first(of: received, "the first status event")
            let started = ContinuousClock.now
            await service.stopAndWait(within: .seconds(20))
            let events = try await bounded(.seconds(10), "the event stream's end") { try await reader.value }
            #expect(events.count >= 1 && events.count < 1_000)
            #expect(ContinuousClock.now - started < .seconds(5), "the stream ended with the shutdown, not at the drain timeout")
        }
    }
}
