import AsyncHTTPClient
@testable import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import Testing

/// The response cache's per-key and per-policy choices through the router: a key's `cache: false` over a model
/// that opts in, the paced replay of streamed hits, and the Responses API's hits (with `store`).
@Suite("Response cache: key opt-out, paced replay, Responses API", .serialized, .timeLimit(.minutes(3)))
struct ResponseCachePolicyTests {
    static let keys = """
          - id: off
            key: off-key-00000001
            cache: false
          - id: off-mapping
            key: off-key-00000002
            cache: { enabled: false }
          - id: paced
            key: paced-key-000001
            cache: { ttl_ms: 60000, nondeterministic: true, replay_pacing_ms: 80 }
          - id: original
            key: original-key-001
            cache: { ttl_ms: 60000, nondeterministic: true, replay_pacing_ms: original }
          - id: cached
            key: cached-key-00001
            cache: { ttl_ms: 60000, nondeterministic: true }
        """

    /// Model `cm` caches its answers (every key without a `cache:` of its own gets hits on it).
    static let models = """
          - name: cm
            cache: { ttl_ms: 60000, nondeterministic: true }
            deployments: [{ provider: p0, model: up }]
        """

    static func yaml(_ ports: [Int]) -> String {
        testYAML(ports: ports, extraModels: models, extraKeys: keys)
    }

    static func chat(
        _ harness: RouterHarness, key: String, model: String = "cm", stream: Bool = false, content: String = "Say hello",
        headers: [(String, String)] = []
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        let body = #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"\#(content)"}]}"#
        return try await harness.send(
            "/v1/chat/completions", body: body, headers: [("authorization", "Bearer \(key)")] + headers)
    }

    @Test("a key's cache: false (and {enabled: false}) never caches, even for a model that opts in and with x-edge-cache-ttl; other keys hit on that model")
    func keyOptOut() async throws {
        try await RouterHarness.run(sims: [ResponseCacheTests.sim()], yaml: { Self.yaml($0) }) { harness in
            // The model's policy applies to a key without a `cache:` of its own.
            #expect(try await Self.chat(harness, key: RouterHarness.clientKey).headers.first(name: "x-edge-cache") == "miss")
            #expect(try await Self.chat(harness, key: RouterHarness.clientKey).headers.first(name: "x-edge-cache") == "hit")
            #expect(harness.sims[0].stats.received == 1)
            for key in ["off-key-00000001", "off-key-00000002"] {
                for headers in [[], [("x-edge-cache-ttl", "60")]] {
                    for _ in 0..<2 {
                        let answer = try await Self.chat(harness, key: key, headers: headers)
                        #expect(answer.status == 200)
                        #expect(answer.headers.first(name: "x-edge-cache") == nil, "\(key) \(headers)")
                    }
                }
            }
            // Every request of the opted-out keys reached the provider: 1 + 2 keys x 2 header sets x 2.
            #expect(harness.sims[0].stats.received == 9)
            #expect(harness.router.cache.held.entries == 1)
        }
    }

    @Test("a paced streamed hit's events arrive no earlier than replay_pacing_ms apart, after the request was sent; the text is the miss's")
    func pacedReplay() async throws {
        let pacing = Duration.milliseconds(80)
        try await RouterHarness.run(sims: [ResponseCacheTests.sim(tokens: 6)], yaml: { Self.yaml($0) }) { harness in
            let miss = try await Self.chat(harness, key: "paced-key-000001", stream: true)
            #expect(miss.headers.first(name: "x-edge-cache") == "miss")
            let (cache, text, arrivals) = try await Self.timedStream(harness, key: "paced-key-000001")
            #expect(cache == "hit")
            #expect(streamedText(text) == streamedText(miss.body))
            #expect(ssePayloads(text).last == "[DONE]")
            // The last frame and `[DONE]` go out together; every frame before it waits its turn.
            let frames = arrivals.count - 1
            #expect(frames >= 4, "\(arrivals)")
            for index in 0..<frames {
                #expect(arrivals[index] >= pacing * index, "event \(index) after \(arrivals[index])")
            }
            #expect(arrivals[frames] >= pacing * (frames - 1))
        }
    }

    /// Sends a streamed request and returns the text and when each event was complete, from when it was sent.
    static func timedStream(_ harness: RouterHarness, key: String) async throws -> (cache: String?, text: String, arrivals: [Duration]) {
        var request = HTTPClientRequest(url: harness.base + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(key)")
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"model":"cm","stream":true,"messages":[{"role":"user","content":"Say hello"}]}"#))
        let sent = ContinuousClock.now
        let response = try await harness.client.execute(request, timeout: .seconds(30))
        var text = ""
        var arrivals: [Duration] = []
        for try await part in response.body {
            let now = ContinuousClock.now - sent
            text += String(buffer: part)
            // Each event ends with a blank line: one arrival per event completed by this part.
            let completed = text.components(separatedBy: "\n\n").count - 1
            while arrivals.count < completed { arrivals.append(now) }
        }
        return (response.headers.first(name: "x-edge-cache"), text, arrivals)
    }

    @Test("replay_pacing_ms: original records the gaps between the provider's events (100 ms apart: they add up to at least half of that) and a streamed hit's events arrive no earlier than those gaps say; the text is the miss's")
    func originalPaceReplay() async throws {
        var sim = ResponseCacheTests.sim(ttft: 5, tokens: 5)
        sim.tokensPerSecond = 10
        try await RouterHarness.run(sims: [sim], yaml: { Self.yaml($0) }) { harness in
            let miss = try await Self.timedStream(harness, key: "original-key-001")
            #expect(miss.cache == "miss")
            let entry = try #require(harness.router.cache.answers.first)
            let gaps = try #require(entry.gapsMs)
            #expect(gaps.count == entry.frames.count && gaps.first == 0)
            // Four 100 ms gaps between five tokens at the provider; a late first token can only shorten their sum.
            #expect(gaps.reduce(0, +) >= 200, "\(gaps)")

            let hit = try await Self.timedStream(harness, key: "original-key-001")
            #expect(hit.cache == "hit")
            #expect(streamedText(hit.text) == streamedText(miss.text))
            #expect(ssePayloads(hit.text).last == "[DONE]")
            // Frame i waits, after the first, the gaps recorded up to it (a timer never fires early). The last
            // frame (usage, which this request did not ask for) is not written: `[DONE]` takes its place.
            #expect(hit.arrivals.count == entry.frames.count, "\(hit.arrivals)")
            var due = Duration.zero
            for (index, gap) in gaps.enumerated() where index < hit.arrivals.count {
                due += .milliseconds(gap)
                #expect(hit.arrivals[index] >= due, "event \(index) after \(hit.arrivals[index]), due \(due)")
            }
        }
    }

    @Test("a client that leaves a paced replay after its first event: the next request of the key is a whole hit from the same entry")
    func pacedReplayClientLeaves() async throws {
        try await RouterHarness.run(sims: [ResponseCacheTests.sim(tokens: 6)], yaml: { Self.yaml($0) }) { harness in
            _ = try await Self.chat(harness, key: "paced-key-000001", stream: true)
            let client = try await RawClient.connect(port: harness.router.port)
            let body = #"{"model":"cm","stream":true,"messages":[{"role":"user","content":"Say hello"}]}"#
            try await client.send(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer paced-key-000001\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let seen = await client.wait(for: .seconds(10)) { $0.text.contains("data: ") }
            #expect(seen.text.contains("x-edge-cache: hit"))
            await client.close()
            // The next request is answered at once, whole, from the same entry.
            let after = try await Self.chat(harness, key: "paced-key-000001")
            #expect(after.status == 200)
            #expect(after.headers.first(name: "x-edge-cache") == "hit")
        }
    }

    @Test(
        "the official openai SDK's responses.create: the second identical request is a hit in Responses' shape, whole and streamed, with a new response id that is stored and can be continued",
        .enabled(if: PythonScript.python != nil))
    func responsesSDK() async throws {
        try await RouterHarness.run(sims: [DialectMatrixTests.sim(.openai)], yaml: { ports in
            testYAML(
                ports: ports,
                extraModels: """
                      - name: gpt
                        deployments: [{ provider: p0, model: gpt-sim }]
                    """, extraKeys: Self.keys)
        }) { harness in
            let (status, text) = try await PythonScript.run(
                "cache_responses_sdk_check.py", arguments: [harness.base + "/v1", "cached-key-00001", "gpt"])
            #expect(status == 0, "\(text)")
            let answer = DialectMatrixTests.expectedText
            #expect(text.contains("first: miss [completed] \(answer)"), "\(text)")
            #expect(text.contains("second: hit [completed] \(answer)"), "\(text)")
            #expect(text.contains("stream: hit [completed] \(answer)"), "\(text)")
            #expect(text.contains("new id: True"), "\(text)")
            #expect(text.contains("retrieved: True \(answer)"), "\(text)")
            #expect(text.contains("not stored: 404 (hit)"), "\(text)")
            #expect(text.contains("continued: True miss"), "\(text)")
            #expect(text.contains("chat after responses: miss"), "\(text)")
            // Three answers from the provider: the first, the continuation, the chat completion.
            #expect(harness.sims[0].stats.received == 3)
        }
    }
}
