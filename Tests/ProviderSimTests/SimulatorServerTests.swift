import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
@testable import ProviderSim
import ServiceLifecycle
import Testing

/// The simulator over real sockets on 127.0.0.1: routes, disconnects, shutdown, many streams.
@Suite("Simulator server", .timeLimit(.minutes(5)))
struct SimulatorServerTests {
    static let logger: Logger = {
        var logger = Logger(label: "sim-test")
        logger.logLevel = .critical
        return logger
    }()

    static func request(_ url: String, method: HTTPMethod = .POST, body: String? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        return request
    }

    static func fast(tokens: Int = 4) -> SimulatorSettings {
        var settings = SimulatorSettings()
        settings.ttftMilliseconds = 0
        settings.tokensPerSecond = 1_000_000
        settings.answerTokens = tokens
        return settings
    }

    @Test("a non-streamed answer on /chat/completions, with usage")
    func nonStreaming() async throws {
        try await SimulatorTests.withSim(Self.fast()) { sim, client, base in
            let (status, headers, body) = try await SimulatorTests.post(
                client, base + "/chat/completions", #"{"model":"gpt-\"x\"","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(status == 200)
            #expect(headers.first(name: "content-type") == "application/json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(object["model"] as? String == #"gpt-"x""#)
            #expect(object["object"] as? String == "chat.completion")
            let choice = try #require((object["choices"] as? [[String: Any]])?.first)
            #expect((choice["message"] as? [String: Any])?["content"] as? String == "The quick brown fox")
            #expect((object["usage"] as? [String: Any])?["completion_tokens"] as? Int == 4)
            #expect(sim.stats.completed == 1)
        }
    }

    @Test("GET /_sim/config and /_sim/stats, POST /_sim/reset, and 404 elsewhere")
    func control() async throws {
        try await SimulatorTests.withSim(Self.fast()) { sim, client, base in
            _ = try await SimulatorTests.post(client, base + "/v1/chat/completions", SimulatorTests.chat)
            let config = try await client.execute(Self.request(base + "/_sim/config", method: .GET), timeout: .seconds(10))
            let settings = String(buffer: try await config.body.collect(upTo: 1 << 20))
            #expect(settings.contains(#""answer_tokens":4"#))
            let statsResponse = try await client.execute(Self.request(base + "/_sim/stats", method: .GET), timeout: .seconds(10))
            let stats = String(buffer: try await statsResponse.body.collect(upTo: 1 << 20))
            #expect(stats == #"{"cancelled":0,"completed":1,"connections":1,"cut":0,"embeddings":0,"failed":0,"in_flight":0,"received":1,"responses":0}"#)
            let (reset, _, resetBody) = try await SimulatorTests.post(client, base + "/_sim/reset", "")
            #expect(reset == 200)
            #expect(resetBody == #"{"reset":true}"#)
            #expect(sim.stats == SimulatorStats())
            #expect(try await client.execute(Self.request(base + "/v1/models", method: .GET), timeout: .seconds(10)).status == .notFound)
            let (wrongMethod, _, _) = try await SimulatorTests.post(client, base + "/_sim/stats", "")
            #expect(wrongMethod == 404)
        }
    }

    @Test("a client leaving mid-stream is counted cancelled")
    func clientLeaves() async throws {
        var settings = Self.fast(tokens: 1000)
        settings.tokensPerSecond = 100
        try await SimulatorTests.withSim(settings) { sim, client, base in
            let (heads, headArrived) = AsyncStream.makeStream(of: Void.self)
            let reader = Task {
                let response = try await client.execute(
                    Self.request(base + "/v1/chat/completions", body: SimulatorTests.chat), timeout: .seconds(30))
                headArrived.yield()
                for try await _ in response.body {}
            }
            try await first(of: heads, "the response head")
            // Cancelling the reader makes the client close the connection mid-stream.
            reader.cancel()
            _ = try await bounded(.seconds(30), "the reader ending") { await reader.result }
            let stats = await sim.waitForStats { $0.cancelled == 1 }
            #expect(stats.cancelled == 1)
            #expect(stats.inFlight == 0)
            #expect(stats.completed == 0)
        }
    }

    @Test("a hanging non-streamed request ends, counted cancelled, when its client gives up")
    func hang() async throws {
        var settings = Self.fast()
        settings.hang = true
        try await SimulatorTests.withSim(settings) { sim, client, base in
            await #expect(throws: (any Error).self) {
                _ = try await client.execute(
                    Self.request(base + "/v1/chat/completions", body: #"{"model":"m"}"#), deadline: .now() + .milliseconds(200))
            }
            let stats = await sim.waitForStats { $0.cancelled == 1 }
            #expect(stats.cancelled == 1)
            #expect(stats.inFlight == 0)
        }
    }

    @Test("a graceful shutdown lets a stream in flight finish, then returns")
    func gracefulShutdown() async throws {
        var settings = Self.fast(tokens: 10)
        settings.ttftMilliseconds = 50
        settings.tokensPerSecond = 50
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let sim = ProviderSimulator(settings: settings, logger: Self.logger) { continuation.yield($0) }
        let group = ServiceGroup(services: [sim], logger: Self.logger)
        let task = Task { try await group.run() }
        let port = try await first(of: ports, "the simulator listening")
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        do {
            let response = try await client.execute(
                Self.request("http://127.0.0.1:\(port)/v1/chat/completions", body: SimulatorTests.chat), timeout: .seconds(10))
            #expect(response.status == .ok)
            await group.triggerGracefulShutdown()
            let body = String(buffer: try await bounded(.seconds(30), "the stream's end") { try await response.body.collect(upTo: 1 << 20) })
            #expect(body.hasSuffix("data: [DONE]\n\n"))
            #expect(body.contains(#"{"content":" lazy"}"#))
            try await bounded(.seconds(30), "the graceful shutdown") { try await task.value }
            #expect(sim.stats.completed == 1)
        } catch {
            task.cancel()
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test("cancellation closes every connection at once, a stream in flight included")
    func cancellation() async throws {
        var settings = Self.fast()
        settings.hang = true
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let sim = ProviderSimulator(settings: settings, logger: Self.logger) { continuation.yield($0) }
        let task = Task { try await sim.run() }
        let port = try await first(of: ports, "the simulator listening")
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let response = try await client.execute(
            Self.request("http://127.0.0.1:\(port)/v1/chat/completions", body: SimulatorTests.chat), timeout: .seconds(10))
        #expect(response.status == .ok)
        task.cancel()
        try await bounded(.seconds(30), "the simulator stopping on cancellation") { try await task.value }
        do {
            _ = try await bounded(.seconds(30), "the stream breaking off") { try await response.body.collect(upTo: 1 << 20) }
            Issue.record("the stream ended normally")
        } catch {
            #expect(!(error is TimedOut), "\(error)")
        }
        let stats = await sim.waitForStats { $0.cancelled == 1 }
        #expect(stats.cancelled == 1)
        #expect(stats.inFlight == 0)
        try await client.shutdown()
    }

    @Test("hundreds of concurrent streams all arrive whole")
    func manyStreams() async throws {
        var settings = Self.fast(tokens: 16)
        settings.ttftMilliseconds = 20
        settings.tokensPerSecond = 200
        try await SimulatorTests.withSim(settings) { sim, _, base in
            // A connection per stream, so they really are concurrent (the default pool has 8 per host).
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 300
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            let bodies: [String]
            do {
                bodies = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<300 {
                        group.addTask { try await SimulatorTests.post(client, base + "/v1/chat/completions", SimulatorTests.chat).2 }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
            #expect(bodies.count == 300)
            #expect(bodies.allSatisfy { $0.hasSuffix("data: [DONE]\n\n") && $0.contains(#"{"content":" provider"}"#) })
            #expect(sim.stats.completed == 300)
            #expect(sim.stats.inFlight == 0)
        }
    }
}
