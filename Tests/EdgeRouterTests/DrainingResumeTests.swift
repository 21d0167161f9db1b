import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import ServiceLifecycle
import Testing

/// A node shutting down keeps serving resumes of the answers it holds for clients that dropped, within its drain
/// timeout, before it stops accepting connections.
@Suite("Resumable streams while the node drains", .serialized, .timeLimit(.minutes(3)))
struct DrainingResumeTests {
    /// A router with resumable keys in a service group of the test's own (the test decides when it shuts down),
    /// its log captured, and one slow simulator.
    struct Node {
        let group: ServiceGroup
        let running: Task<Void, any Error>
        let port: Int
        let log: CapturedLog
        let sim: ProviderSimulator
        let sims: ServiceRunner
    }

    static func start(drainMs: Int) async throws -> Node {
        let (simPorts, simPort) = AsyncStream.makeStream(of: Int.self)
        let sim = ProviderSimulator(settings: ResumableStreamTests.slowSim(), logger: RouterHarness.logger) { simPort.yield($0) }
        let sims = ServiceRunner([sim])
        let port = try await first(of: simPorts, "the simulator listening")
        let yaml = testYAML(ports: [port], extraKeys: ResumableStreamTests.resumableKeys, server: "  drain_timeout_ms: \(drainMs)")
        let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: ["TEST_PROVIDER_KEY": "k"])
        let log = CapturedLog()
        let (routerPorts, routerPort) = AsyncStream.makeStream(of: Int.self)
        let router = try EdgeRouterServer(configuration: configuration, logger: log.logger()) { routerPort.yield($0) }
        let group = ServiceGroup(services: [router], logger: RouterHarness.logger)
        let running = Task { try await group.run() }
        let listening = try await first(of: routerPorts, "the router listening")
        return Node(group: group, running: running, port: listening, log: log, sim: sim, sims: sims)
    }

    static func get(_ port: Int, _ path: String, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(20))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test("after a graceful shutdown begins, a stream whose client dropped is fetched over a new connection (the rest once each), /readyz is 503, and the node stops once it is delivered, long before its drain timeout")
    func resumeWhileDraining() async throws {
        let node = try await Self.start(drainMs: 120_000)
        defer { node.sims.stop() }
        let (id, text) = try await ResumableStreamTests.dropAfter(3, port: node.port)
        let lastID = try #require(ResumableStreamTests.events(ofRaw: text).last.flatMap { sseEventIDs($0 + "\n\n").first ?? nil })

        await node.group.triggerGracefulShutdown()
        _ = try await node.log.line(containing: "draining: serving resumes of buffered answers")
        let ready = try await Self.get(node.port, "/readyz")
        #expect(ready.status == 503)

        let rest = try await Self.get(
            node.port, "/v1/edge/streams/\(id)", headers: [("authorization", "Bearer agent-key-0001"), ("last-event-id", String(lastID))])
        #expect(rest.status == 200)
        let ids = sseEventIDs(rest.body)
        #expect(!ids.isEmpty && ids == ids.indices.map { lastID + 1 + $0 })
        #expect(ssePayloads(rest.body).last == "[DONE]")
        #expect(node.sim.stats.received == 1)

        _ = try await node.log.line(containing: "draining: every buffered answer delivered")
        // Well within the 120 s drain timeout: delivered, nothing held the node.
        try await bounded(.seconds(60), "the router's shutdown") { try await node.running.value }
    }

    @Test("a draining node whose dropped stream nobody fetches stops at its drain timeout, not before, and says the answer is still owed")
    func ownedAnswerHoldsTheDrainUntilItsTimeout() async throws {
        let node = try await Self.start(drainMs: 1500)
        defer { node.sims.stop() }
        _ = try await ResumableStreamTests.dropAfter(3, port: node.port)
        let began = ContinuousClock.now
        await node.group.triggerGracefulShutdown()
        _ = try await node.log.line(containing: "draining: serving resumes of buffered answers")
        // Still accepting while it waits.
        #expect(try await Self.get(node.port, "/healthz").status == 200)
        _ = try await node.log.line(containing: "draining: drain timeout passed with answers still owed")
        try await bounded(.seconds(60), "the router's shutdown") { try await node.running.value }
        #expect(ContinuousClock.now - began >= .milliseconds(1500))
    }

    @Test("a node with no resumable answer owed stops accepting at once on a graceful shutdown (no drain wait)")
    func nothingOwedNoWait() async throws {
        let node = try await Self.start(drainMs: 120_000)
        defer { node.sims.stop() }
        let answer = try await Self.get(node.port, "/healthz")
        #expect(answer.status == 200)
        await node.group.triggerGracefulShutdown()
        // The drain timeout is 120 s: a wait for it would fail this bound.
        try await bounded(.seconds(60), "the router's shutdown") { try await node.running.value }
        #expect(!node.log.all.contains { $0.contains("draining:") })
    }
}
