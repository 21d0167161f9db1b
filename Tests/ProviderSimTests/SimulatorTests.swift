import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import NIOCore
import NIOHTTP1
@testable import ProviderSim
import Testing

@Suite("Provider simulator", .timeLimit(.minutes(5)))
struct SimulatorTests {
    static func withSim<Value: Sendable>(
        _ settings: SimulatorSettings = .init(), _ body: @Sendable (ProviderSimulator, HTTPClient, String) async throws -> Value
    ) async throws -> Value {
        var logger = Logger(label: "sim-test")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let sim = ProviderSimulator(settings: settings, logger: logger) { continuation.yield($0) }
        // Stopped by a graceful shutdown: cancelling a server while it accepts a connection traps in NIO.
        let group = ServiceGroup(services: [sim], logger: logger)
        let task = Task { try await group.run() }
        let port: Int
        do {
            port = try await first(of: ports, "the simulator listening")
        } catch {
            task.cancel()
            throw error
        }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let result: Result<Value, any Error>
        do {
            result = .success(try await body(sim, client, "http://127.0.0.1:\(port)"))
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        await group.triggerGracefulShutdown()
        do {
            try await bounded(.seconds(30), "the simulator's graceful shutdown") { _ = try? await task.value }
        } catch {
            Issue.record("\(error)")
        }
        return try result.get()
    }

    static func post(_ client: HTTPClient, _ url: String, _ body: String) async throws -> (Int, HTTPHeaders, String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), response.headers, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    static let chat = #"{"model":"x","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#

    @Test("a stream: role chunk, content after the TTFT, finish, usage, [DONE]")
    func stream() async throws {
        var settings = SimulatorSettings()
        settings.ttftMilliseconds = 100
        settings.answerTokens = 3
        settings.tokensPerSecond = 1000
        try await Self.withSim(settings) { sim, client, base in
            let started = ContinuousClock.now
            let (status, headers, body) = try await Self.post(client, base + "/v1/chat/completions", Self.chat)
            #expect(ContinuousClock.now - started >= .milliseconds(100))
            #expect(status == 200)
            #expect(headers.first(name: "content-type") == "text/event-stream")
            let frames = body.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            // role, 3 tokens, finish, usage, [DONE]
            #expect(frames.count == 7)
            #expect(frames.first?.contains(#""role":"assistant""#) == true)
            #expect(frames[1].contains(#""content":"The""#))
            #expect(frames[4].contains(#""finish_reason":"stop""#))
            #expect(frames[5].contains(#""choices":[],"usage":{"prompt_tokens""#))
            #expect(frames.last == "data: [DONE]")
            #expect(sim.stats.completed == 1)
        }
    }

    @Test("POST /_sim/config changes behaviour at run time, and rejects what it does not know")
    func configure() async throws {
        try await Self.withSim { sim, client, base in
            let (status, _, _) = try await Self.post(client, base + "/_sim/config", #"{"error_rate": 1.0, "error_status": 503, "retry_after_s": 2}"#)
            #expect(status == 200)
            let (failed, headers, body) = try await Self.post(client, base + "/v1/chat/completions", Self.chat)
            #expect(failed == 503)
            #expect(headers.first(name: "retry-after") == "2")
            #expect(body.contains(#""error""#))
            #expect(try await Self.post(client, base + "/_sim/config", #"{"error_rate": 0}"#).0 == 200)
            #expect(try await Self.post(client, base + "/v1/chat/completions", Self.chat).0 == 200)
            #expect(try await Self.post(client, base + "/_sim/config", #"{"ttft_ms": 500}"#).0 == 200)
            #expect(sim.settings.ttftMilliseconds == 500)
            #expect(try await Self.post(client, base + "/_sim/config", #"{"hang": true}"#).0 == 200)
            #expect(sim.settings.hang)
            let (unknown, _, message) = try await Self.post(client, base + "/_sim/config", #"{"colour": "blue"}"#)
            #expect(unknown == 400)
            #expect(message.contains("unknown field 'colour'"))
            #expect(try await Self.post(client, base + "/_sim/config", #"{"ttft_ms": "fast"}"#).0 == 400)
            #expect(sim.stats.received == 2)
            #expect(sim.stats.failed == 1)
        }
    }

    @Test("seeded log-normal TTFTs repeat, with the configured median")
    func seededDistribution() {
        var settings = SimulatorSettings()
        settings.distribution = .lognormal
        settings.ttftMilliseconds = 100
        settings.ttftSigma = 1
        var first = SeededRandom(seed: 42)
        var second = SeededRandom(seed: 42)
        let a = (0..<4001).map { _ in first.ttft(settings) }
        let b = (0..<4001).map { _ in second.ttft(settings) }
        #expect(a == b)
        let median = a.sorted()[2000]
        #expect(median > 90 && median < 110, "median \(median)")
        #expect(a.max()! > 500, "a heavy tail")
    }

    @Test("cut_after_tokens drops the connection mid-stream")
    func cut() async throws {
        var settings = SimulatorSettings()
        settings.ttftMilliseconds = 0
        settings.cutAfterTokens = 2
        settings.tokensPerSecond = 1000
        try await Self.withSim(settings) { sim, client, base in
            await #expect(throws: (any Error).self) {
                _ = try await Self.post(client, base + "/v1/chat/completions", Self.chat)
            }
            #expect(sim.stats.cut == 1)
        }
    }
}
