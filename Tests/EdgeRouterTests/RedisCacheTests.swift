import AsyncHTTPClient
@testable import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import ServiceLifecycle
import Testing

/// The response cache's shared tier: two routers in front of one Redis (Debian's `redis-server`, started by the
/// test on a free port and stopped by its pid) share entries; Redis going away and coming back is never an error
/// to clients, and the tier works again afterwards.
@Suite("Response cache: the Redis tier", .serialized, .timeLimit(.minutes(3)), .enabled(if: RedisTestServer.isAvailable))
struct RedisCacheTests {
    static func yaml(_ ports: [Int], redisPort: Int) -> String {
        testYAML(ports: ports, extraKeys: ResponseCacheTests.keys)
            + "\ncache:\n  redis: { host: 127.0.0.1, port: \(redisPort), timeout_ms: 200, pool_size: 2 }\n"
    }

    /// A second router with the same configuration, for the duration of `body`.
    static func secondRouter<Value: Sendable>(
        yaml: String, _ body: @Sendable (Int) async throws -> Value
    ) async throws -> Value {
        let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: ["TEST_PROVIDER_KEY": "provider-secret"])
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let router = try EdgeRouterServer(configuration: configuration, logger: RouterHarness.logger) { continuation.yield($0) }
        let service = ServiceRunner([router])
        let port: Int
        do {
            port = try await first(of: ports, "the second router listening")
        } catch {
            await service.stopAndWait()
            throw error
        }
        do {
            let value = try await body(port)
            await service.stopAndWait()
            return value
        } catch {
            await service.stopAndWait()
            throw error
        }
    }

    static func ask(_ harness: RouterHarness, port: Int? = nil, content: String) async throws -> (status: Int, cache: String?) {
        let body = #"{"model":"m","messages":[{"role":"user","content":"\#(content)"}]}"#
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? harness.router.port)/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer cached-key-0001")
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await harness.client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers.first(name: "x-edge-cache"))
    }

    @Test("an answer one router stored is a hit on another router sharing the Redis; the provider is called once")
    func sharedBetweenRouters() async throws {
        let redis = try RedisTestServer()
        defer { redis.stop() }
        try await RouterHarness.run(sims: [ResponseCacheTests.sim()], yaml: { Self.yaml($0, redisPort: redis.port) }) { harness in
            let yaml = Self.yaml(harness.simPorts, redisPort: redis.port)
            #expect(try await Self.ask(harness, content: "shared").cache == "miss")
            // The first router's SET goes out once its answer is complete: wait for it to land.
            #expect(try await redis.waitForKeys(atLeast: 1, within: .seconds(10)))
            try await Self.secondRouter(yaml: yaml) { port in
                let answer = try await Self.ask(harness, port: port, content: "shared")
                #expect(answer.status == 200)
                #expect(answer.cache == "hit")
            }
            #expect(harness.sims[0].stats.received == 1)
        }
    }
    @Test("Redis restarted mid-traffic: every client request succeeds (zero errors), errors are counted, and entries are shared again afterwards")
    func survivesRestart() async throws {
        let redis = try RedisTestServer()
        defer { redis.stop() }
        try await RouterHarness.run(sims: [ResponseCacheTests.sim()], yaml: { Self.yaml($0, redisPort: redis.port) }) { harness in
            let yaml = Self.yaml(harness.simPorts, redisPort: redis.port)
            try await Self.secondRouter(yaml: yaml) { port in
                var statuses: [Int] = []
                for index in 0..<10 { statuses.append(try await Self.ask(harness, content: "before \(index % 3)").status) }
                redis.stop()
                for index in 0..<10 {
                    statuses.append(try await Self.ask(harness, content: "down \(index % 3)").status)
                    statuses.append(try await Self.ask(harness, port: port, content: "down \(index % 3)").status)
                }
                try redis.start()
                for index in 0..<10 { statuses.append(try await Self.ask(harness, content: "after \(index % 3)").status) }
                #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
                // The restarted Redis is empty (no persistence). Its pools reconnect after their backoff: new answers
                // of the first router land in it, and the second router's first ask of one of them is a hit.
                let asked = try await bounded(.seconds(30), "an answer stored in the restarted Redis") {
                    var contents: [String] = []
                    while true {
                        let content = "again \(contents.count)"
                        contents.append(content)
                        #expect(try await Self.ask(harness, content: content).status == 200)
                        if try await redis.waitForKeys(atLeast: 1, within: .milliseconds(300)) { return contents }
                    }
                }
                var hits = 0
                for content in asked.reversed() {
                    let answer = try await Self.ask(harness, port: port, content: content)
                    #expect(answer.status == 200)
                    if answer.cache == "hit" { hits += 1 }
                }
                #expect(hits >= 1, "none of \(asked) was shared")
            }
            let metrics = try await harness.send("/metrics", method: .GET, headers: [])
            let errors = metrics.body.split(separator: "\n").first { $0.hasPrefix("edge_cache_redis_errors_total ") }
            #expect(errors.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 > 0 } == true, "\(String(describing: errors))")
        }
    }
}
