import AsyncHTTPClient
@testable import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import RequestLog
import Testing

/// The response cache through the router: hits in the client's dialect, streaming or not, never across keys;
/// coalesced misses; what is never stored; TTL and the memory bound; the request log's record of hits.
@Suite("Response cache through the router", .serialized, .timeLimit(.minutes(3)))
struct ResponseCacheTests {
    static let keys = """
          - id: cached
            key: cached-key-0001
            cache: { ttl_ms: 60000, nondeterministic: true }
          - id: cached-other
            key: cached-key-0002
            cache: { ttl_ms: 60000, nondeterministic: true }
          - id: strict
            key: strict-key-0001
            cache: { ttl_ms: 60000 }
          - id: short
            key: short-key-0001
            cache: { ttl_ms: 200, nondeterministic: true }
        """

    static func yaml(_ ports: [Int], extra: String = "") -> String {
        testYAML(ports: ports, extraKeys: keys) + "\n\(extra)\n"
    }

    static func sim(ttft: Double = 20, tokens: Int = 8) -> SimulatorSettings {
        ChatStreamingTests.fastSim(ttft: ttft, tokens: tokens)
    }

    static func auth(_ key: String, _ more: [(String, String)] = []) -> [(String, String)] {
        [("authorization", "Bearer \(key)")] + more
    }

    static func chat(
        _ harness: RouterHarness, key: String = "cached-key-0001", stream: Bool = false, content: String = "Say hello",
        extra: String = "", headers: [(String, String)] = []
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        let body = #"{"model":"m","stream":\#(stream),"messages":[{"role":"user","content":"\#(content)"}]\#(extra)}"#
        return try await harness.send("/v1/chat/completions", body: body, headers: auth(key, headers))
    }

    static func content(_ body: String) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let choices = try #require(object["choices"] as? [[String: Any]])
        let message = try #require(choices.first?["message"] as? [String: Any])
        return try #require(message["content"] as? String)
    }

    @Test("an identical request is a hit: x-edge-cache miss then hit with an age, the same answer, the provider called once")
    func hitAfterMiss() async throws {
        try await RouterHarness.run(sims: [Self.sim()], yaml: { Self.yaml($0) }) { harness in
            let first = try await Self.chat(harness)
            #expect(first.status == 200)
            #expect(first.headers.first(name: "x-edge-cache") == "miss")
            let second = try await Self.chat(harness)
            #expect(second.status == 200)
            #expect(second.headers.first(name: "x-edge-cache") == "hit")
            #expect(second.headers.first(name: "age").flatMap(Int.init) == 0)
            #expect(try Self.content(second.body) == Self.content(first.body))
            #expect(harness.sims[0].stats.received == 1)
        }
    }

    @Test("a streaming hit replays the same text, ends with [DONE] (and the usage chunk when asked), whichever request filled the entry")
    func streamingHit() async throws {
        try await RouterHarness.run(sims: [Self.sim()], yaml: { Self.yaml($0) }) { harness in
            let whole = try await Self.chat(harness)
            #expect(whole.headers.first(name: "x-edge-cache") == "miss")
            let streamed = try await Self.chat(harness, stream: true)
            #expect(streamed.status == 200)
            #expect(streamed.headers.first(name: "x-edge-cache") == "hit")
            #expect(streamed.headers.first(name: "content-type") == "text/event-stream")
            #expect(streamedText(streamed.body) == (try Self.content(whole.body)))
            #expect(ssePayloads(streamed.body).last == "[DONE]")
            let withUsage = try await Self.chat(harness, stream: true, extra: #","stream_options":{"include_usage":true}"#)
            #expect(withUsage.headers.first(name: "x-edge-cache") == "hit")
            #expect(ssePayloads(withUsage.body).contains { $0.contains(#""usage""#) && $0.contains(#""prompt_tokens""#) })
            #expect(ssePayloads(withUsage.body).last == "[DONE]")
            // A stream fills an entry that a non-streaming request reads.
            let streamFirst = try await Self.chat(harness, stream: true, content: "Another question")
            #expect(streamFirst.headers.first(name: "x-edge-cache") == "miss")
            let wholeAfter = try await Self.chat(harness, content: "Another question")
            #expect(wholeAfter.headers.first(name: "x-edge-cache") == "hit")
            #expect(try Self.content(wholeAfter.body) == streamedText(streamFirst.body))
            #expect(harness.sims[0].stats.received == 2)
        }
    }

    @Test("a whole hit's body is the miss's byte for byte, whether a whole or a streamed request filled the entry")
    func wholeHitIsTheMissBody() async throws {
        try await RouterHarness.run(sims: [Self.sim()], yaml: { Self.yaml($0) }) { harness in
            let miss = try await Self.chat(harness)
            let hit = try await Self.chat(harness)
            #expect(miss.headers.first(name: "x-edge-cache") == "miss")
            #expect(hit.headers.first(name: "x-edge-cache") == "hit")
            #expect(hit.body == miss.body)
            // Filled by a stream: the whole answer is assembled from its frames when it is stored.
            let streamed = try await Self.chat(harness, stream: true, content: "Another question")
            let assembled = try await Self.chat(harness, content: "Another question")
            let again = try await Self.chat(harness, content: "Another question")
            #expect(streamed.headers.first(name: "x-edge-cache") == "miss")
            #expect(assembled.headers.first(name: "x-edge-cache") == "hit")
            #expect(try Self.content(assembled.body) == streamedText(streamed.body))
            #expect(again.body == assembled.body)
            #expect(harness.sims[0].stats.received == 2)
        }
    }

    @Test("an entry a stream filled past server.max_response_bytes: a whole hit of it is a 502 response_too_large, a streamed hit is whole")
    func wholeHitPastTheResponseLimit() async throws {
        try await RouterHarness.run(
            sims: [Self.sim(tokens: 1_500)],
            yaml: { testYAML(ports: $0, extraKeys: Self.keys, server: "  max_response_bytes: 4096") }
        ) { harness in
            let streamed = try await Self.chat(harness, stream: true)
            #expect(streamed.headers.first(name: "x-edge-cache") == "miss")
            #expect(streamedText(streamed.body).utf8.count > 4096)
            let whole = try await Self.chat(harness)
            #expect(whole.status == 502)
            #expect(try openAIError(whole.body)["code"] as? String == "response_too_large")
            let replayed = try await Self.chat(harness, stream: true)
            #expect(replayed.headers.first(name: "x-edge-cache") == "hit")
            #expect(streamedText(replayed.body) == streamedText(streamed.body))
            #expect(harness.sims[0].stats.received == 1)
        }
    }

    @Test("another key never sees the entry; a key without a cache policy gets no x-edge-cache header")
    func tenantsAreApart() async throws {
        try await RouterHarness.run(sims: [Self.sim()], yaml: { Self.yaml($0) }) { harness in
            _ = try await Self.chat(harness)
            let other = try await Self.chat(harness, key: "cached-key-0002")
            #expect(other.headers.first(name: "x-edge-cache") == "miss")
            let uncached = try await Self.chat(harness, key: RouterHarness.clientKey)
            #expect(uncached.headers.first(name: "x-edge-cache") == nil)
            #expect(harness.sims[0].stats.received == 3)
        }
    }

    @Test("concurrent identical misses make one upstream request; every client gets the whole answer, streaming or not")
    func coalescing() async throws {
        try await RouterHarness.run(sims: [Self.sim(ttft: 400, tokens: 12)], yaml: { Self.yaml($0) }) { harness in
            let results = try await withThrowingTaskGroup(of: (Bool, Int, String?, String).self) { group in
                for index in 0..<6 {
                    group.addTask {
                        let stream = index % 2 == 1
                        let response = try await Self.chat(harness, stream: stream)
                        let text = stream ? streamedText(response.body) : try Self.content(response.body)
                        return (stream, response.status, response.headers.first(name: "x-edge-cache"), text)
                    }
                }
                var all: [(Bool, Int, String?, String)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(harness.sims[0].stats.received == 1)
            #expect(results.allSatisfy { $0.1 == 200 })
            #expect(Set(results.map(\.3)).count == 1, "\(results.map(\.3))")
            #expect(results.filter { $0.2 == "miss" }.count == 1)
            #expect(results.filter { $0.2 == "coalesced" }.count == 5)
        }
    }

    @Test("a client that leaves an answer others follow does not cut it: they get it whole, and it is stored")
    func leaderLeaves() async throws {
        var slow = Self.sim(ttft: 200, tokens: 40)
        slow.tokensPerSecond = 100
        try await RouterHarness.run(sims: [slow], yaml: { Self.yaml($0) }) { harness in
            let body = #"{"model":"m","stream":true,"messages":[{"role":"user","content":"Say hello"}]}"#
            async let leaving = ResumableStreamTests.dropAfter(3, port: harness.router.port, key: "cached-key-0001", body: body)
            // Sent together, one of the two leads (the provider is slow to start); the other follows. Either way one
            // client leaves mid-answer while the other reads on.
            let staying = try await Self.chat(harness, stream: true)
            _ = try await leaving
            #expect(staying.status == 200)
            #expect(ssePayloads(staying.body).last == "[DONE]")
            #expect(streamedText(staying.body).split(separator: " ").count >= 30, "\(streamedText(staying.body))")
            let after = try await Self.chat(harness)
            #expect(after.headers.first(name: "x-edge-cache") == "hit")
            #expect(harness.sims[0].stats.received == 1)
        }
    }

    @Test("a stream cut mid-way is not stored: the next identical request is a miss and reaches the provider")
    func cutStreamNotStored() async throws {
        var cutting = Self.sim(tokens: 12)
        cutting.cutAfterTokens = 4
        try await RouterHarness.run(sims: [cutting], yaml: { Self.yaml($0) }) { harness in
            let first = try await Self.chat(harness, stream: true)
            #expect(first.body.contains("stream_interrupted") || first.body.contains("error"))
            let second = try await Self.chat(harness, stream: true)
            #expect(second.headers.first(name: "x-edge-cache") == "miss")
            #expect(harness.sims[0].stats.received == 2)
            #expect(harness.router.cache.held.entries == 0)
        }
    }

    @Test("a failed request (every attempt refused) is not stored")
    func failureNotStored() async throws {
        var failing = Self.sim()
        failing.errorRate = 1
        try await RouterHarness.run(sims: [failing], yaml: { Self.yaml($0) }) { harness in
            let first = try await Self.chat(harness)
            #expect(first.status >= 500)
            let second = try await Self.chat(harness)
            #expect(second.status >= 500)
            #expect(second.headers.first(name: "x-edge-cache") != "hit")
            #expect(harness.router.cache.held.entries == 0)
        }
    }

    @Test("an entry expires after its TTL: the next request is a miss")
    func ttlExpiry() async throws {
        try await RouterHarness.run(sims: [Self.sim()], yaml: { Self.yaml($0) }) { harness in
            _ = try await Self.chat(harness, key: "short-key-0001")
            #expect(try await Self.chat(harness, key: "short-key-0001").headers.first(name: "x-edge-cache") == "hit")
            // Time is what expires an entry: no event to wait for.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.chat(harness, key: "short-key-0001").headers.first(name: "x-edge-cache") == "miss")
            #expect(harness.sims[0].stats.received == 2)
        }
    }

    @Test("past cache.max_bytes the least recently used entry is evicted (counted in edge_cache_evictions_total)")
    func evictionByBytes() async throws {
        try await RouterHarness.run(sims: [Self.sim(tokens: 12)], yaml: { Self.yaml($0, extra: "cache: { max_bytes: 6144 }") }) { harness in
            _ = try await Self.chat(harness, content: "first")
            #expect(harness.router.cache.held.entries == 1)
            let firstBytes = harness.router.cache.held.bytes
            #expect(firstBytes > 3072 && firstBytes <= 6144, "an entry of \(firstBytes) bytes: the test needs 2 not to fit")
            _ = try await Self.chat(harness, content: "second")
            #expect(harness.router.cache.held.entries == 1)
            #expect(try await Self.chat(harness, content: "second").headers.first(name: "x-edge-cache") == "hit")
            #expect(try await Self.chat(harness, content: "first").headers.first(name: "x-edge-cache") == "miss")
            let metrics = try await harness.send("/metrics", method: .GET, headers: [])
            #expect(metrics.body.contains("edge_cache_evictions_total 2"), "\(metrics.body.split(separator: "\n").filter { $0.contains("cache") })")
            #expect(metrics.body.contains("edge_cache_hits_total 1"))
        }
    }

    @Test("Cache-Control: no-cache skips the lookup and still stores; no-store answers without storing")
    func cacheControl() async throws {
        try await RouterHarness.run(sims: [Self.sim()], yaml: { Self.yaml($0) }) { harness in
            let unstored = try await Self.chat(harness, headers: [("cache-control", "no-store")])
            #expect(unstored.headers.first(name: "x-edge-cache") == "miss")
            #expect(harness.router.cache.held.entries == 0)
            let filled = try await Self.chat(harness)
            #expect(filled.headers.first(name: "x-edge-cache") == "miss")
            let fresh = try await Self.chat(harness, headers: [("cache-control", "no-cache")])
            #expect(fresh.headers.first(name: "x-edge-cache") == "miss")
            #expect(try await Self.chat(harness).headers.first(name: "x-edge-cache") == "hit")
            #expect(harness.sims[0].stats.received == 3)
        }
    }

    @Test("without nondeterministic: true only requests with temperature 0 or a seed are cached; x-edge-cache-ttl opts any key in")
    func determinismAndHeaderOptIn() async throws {
        try await RouterHarness.run(sims: [Self.sim()], yaml: { Self.yaml($0) }) { harness in
            let sampled = try await Self.chat(harness, key: "strict-key-0001")
            #expect(sampled.headers.first(name: "x-edge-cache") == nil)
            _ = try await Self.chat(harness, key: "strict-key-0001", extra: #","temperature":0"#)
            let greedy = try await Self.chat(harness, key: "strict-key-0001", extra: #","temperature":0"#)
            #expect(greedy.headers.first(name: "x-edge-cache") == "hit")
            let optedIn = try await Self.chat(
                harness, key: RouterHarness.clientKey, extra: #","seed":7"#, headers: [("x-edge-cache-ttl", "60")])
            #expect(optedIn.headers.first(name: "x-edge-cache") == "miss")
            let again = try await Self.chat(
                harness, key: RouterHarness.clientKey, extra: #","seed":7"#, headers: [("x-edge-cache-ttl", "60")])
            #expect(again.headers.first(name: "x-edge-cache") == "hit")
            let bad = try await Self.chat(harness, headers: [("x-edge-cache-ttl", "soon")])
            #expect(bad.status == 400)
            #expect(bad.body.contains("x-edge-cache-ttl"))
        }
    }

    @Test("the status page shows the node's hit ratio: a dash before any cacheable request, then 50.0 % after a miss and a hit")
    func statusPageHitRatio() async throws {
        let yaml: @Sendable ([Int]) -> String = { ports in
            Self.yaml(ports) + "\nadmin_keys:\n  - { id: ops, key: \(StatusClient.adminKey) }\n"
        }
        try await RouterHarness.run(sims: [Self.sim()], yaml: yaml) { harness in
            try await StatusClient.with(harness.base) { status in
                let admin = [("authorization", "Bearer \(StatusClient.adminKey)")]
                let before = try await status.send("/status", headers: admin)
                #expect(before.status == 200)
                #expect(before.body.contains(#"<dt>cache hit ratio</dt><dd id="cache-hit-ratio" title="0 hits, 0 misses">–</dd>"#))
                _ = try await Self.chat(harness)
                _ = try await Self.chat(harness)
                let after = try await status.send("/status", headers: admin)
                #expect(after.body.contains(#"<dt>cache hit ratio</dt><dd id="cache-hit-ratio" title="1 hits, 1 misses">50.0 %</dd>"#), "\(after.body.prefix(3000))")
            }
        }
    }

    @Test("the request log records a hit with zero cost and the cost it saved; the spend total shows the saving")
    func hitsOnRecord() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cache-log-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await RouterHarness.run(
            sims: [Self.sim()],
            yaml: { ports in
                testYAML(
                    ports: ports,
                    extraModels: """
                          - name: priced
                            deployments: [{ provider: p0, model: up, price: { input_per_mtok: 1000, output_per_mtok: 1000 } }]
                        """, extraKeys: Self.keys) + "\nlog: { path: \"\(path)\", batch_ms: 10 }\n"
            }
        ) { harness in
            let body = #"{"model":"priced","messages":[{"role":"user","content":"Hi"}]}"#
            let miss = try await harness.send("/v1/chat/completions", body: body, headers: Self.auth("cached-key-0001"))
            #expect(miss.headers.first(name: "x-edge-cache") == "miss")
            let hit = try await harness.send("/v1/chat/completions", body: body, headers: Self.auth("cached-key-0001"))
            #expect(hit.headers.first(name: "x-edge-cache") == "hit")
        }
        let store = try SQLiteRequestStore(path: path)
        let records = try await store.requests(RequestQuery(limit: 10))
        let missRecord = try #require(records.first { $0.cacheStatus == "miss" })
        let hitRecord = try #require(records.first { $0.cacheStatus == "hit" })
        #expect(missRecord.costUSD > 0)
        #expect(hitRecord.costUSD == 0)
        #expect(abs(hitRecord.costSavedUSD - missRecord.costUSD) < 1e-12)
        let spend = try await store.spend(SpendQuery())
        #expect(spend.first?.cacheHits == 1)
        #expect(abs((spend.first?.savedUSD ?? 0) - missRecord.costUSD) < 1e-12)
    }

    @Test(
        "the official openai, anthropic and google-genai SDKs: the second identical request is a hit with the same text, streaming too",
        .enabled(if: PythonScript.python != nil))
    func sdks() async throws {
        let sims = DialectClient.allCases.map { DialectMatrixTests.sim($0) }
        try await RouterHarness.run(
            sims: sims,
            yaml: { ports in
                testYAML(
                    ports: ports,
                    extraModels: """
                          - name: multi
                            deployments: [{ provider: p1, model: claude-sim }, { provider: p2, model: gemini-sim }, { provider: p0, model: gpt-sim }]
                        """, extraKeys: Self.keys, dialects: ["openai", "anthropic", "gemini"])
            }
        ) { harness in
            let (status, text) = try await PythonScript.run("cache_sdk_check.py", arguments: [harness.base, "cached-key-0001", "multi"])
            #expect(status == 0, "\(text)")
            let answer = DialectMatrixTests.expectedText
            for dialect in ["openai", "anthropic", "gemini"] {
                #expect(text.contains("\(dialect) first: miss \(answer)"), "\(text)")
                #expect(text.contains("\(dialect) second: hit \(answer)"), "\(text)")
            }
            #expect(text.contains("openai stream: hit \(answer)"), "\(text)")
            #expect(text.contains("anthropic stream: \(answer) [end_turn]"), "\(text)")
            #expect(text.contains("gemini stream: \(answer)"), "\(text)")
            // Three questions, each asked of a provider once.
            let received = harness.sims.map(\.stats.received).reduce(0, +)
            #expect(received == 3, "\(harness.sims.map(\.stats))")
        }
    }
}
