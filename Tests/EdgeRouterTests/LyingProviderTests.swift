
@testable import EdgeRouter
@testable import RoutingCore
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Providers whose answers lie about being a stream, or never end, or say "done" in their own way: each is
/// classified for failover, with a bounded memory cost.
@Suite("Providers that lie", .timeLimit(.minutes(3)))
struct LyingProviderTests {
    /// The `edge_attempt_failures_total` count of `provider` for `cause`.
    static func failures(_ harness: RouterHarness, provider: String = "p0", cause: String) async throws -> Int {
        let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
        let prefix = #"edge_attempt_failures_total{model="m",provider="\#(provider)",cause="\#(cause)"} "#
        guard let line = metrics.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
        return Int(line.dropFirst(prefix.count)) ?? 0
    }

    /// The breaker-visible last failure of `provider`'s deployment, and its breaker state.
    static func runtime(_ harness: RouterHarness, _ provider: String = "p0") throws -> (lastFailure: String?, breaker: CircuitBreaker.State) {
        let runtime = try #require(harness.router.engine.runtimes.first { $0.deployment.provider.id == provider })
        let snapshot = runtime.snapshot(now: MonotonicTime.now())
        return (snapshot.lastFailure, snapshot.breaker)
    }

    // MARK: Not an event stream

    @Test("a 200 that is HTML, not an event stream, is a malformed answer: failed over at once, its body not read",
          arguments: ["text/html", "application/json"])
    func notAnEventStream(_ contentType: String) async throws {
        // The body goes on for ever, one short line at a time: only the head can stop it in time.
        let script: StubProvider.Script = { _, connection in
            try await connection.write(StubProvider.streamHead(contentType: contentType))
            let line = String(repeating: "<p>not a stream</p>", count: 50) + "\n"
            while true { try await connection.write(line) }
        }
        try await RouterHarness.withStub(script, firstTokenMs: 20_000) { harness, _ in
            let started = ContinuousClock.now
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(ContinuousClock.now - started < .seconds(10), "failed over at the head, not at the first-token timeout")
            #expect(try await Self.failures(harness, cause: "malformed") == 1)
        }
    }

    // MARK: Lines and events of megabytes

    @Test("a single SSE line of many megabytes is malformed: failed over, the connection closed")
    func megabyteLine() async throws {
        let script: StubProvider.Script = { _, connection in
            try await connection.write(StubProvider.streamHead())
            try await connection.write("data: ")
            let block = String(repeating: "a", count: 64 * 1024)
            while true { try await connection.write(block) }
        }
        try await RouterHarness.withStub(script, firstTokenMs: 20_000) { harness, _ in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(try await Self.failures(harness, cause: "malformed") == 1)
        }
    }

    @Test("one SSE event of many short data lines and no blank line is malformed past the event limit")
    func megabyteEvent() async throws {
        let script: StubProvider.Script = { _, connection in
            try await connection.write(StubProvider.streamHead())
            let lines = String(repeating: "data: " + String(repeating: "b", count: 1000) + "\n", count: 64)
            while true { try await connection.write(lines) }
        }
        try await RouterHarness.withStub(script, firstTokenMs: 20_000) { harness, _ in
            let started = ContinuousClock.now
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(try await Self.failures(harness, cause: "malformed") == 1)
        }
    }

    // MARK: Streams that never end

    @Test("a stream that keeps sending keep-alives after its first token ends at the provider's stream_ms with an error")
    func endlessStream() async throws {
        let script: StubProvider.Script = { _, connection in
            try await connection.write(StubProvider.streamHead() + StubProvider.chunk("Hello"))
            while true {
                try await connection.write(": keep-alive\n\n" + StubProvider.chunk(nil))
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try await RouterHarness.withStub(script, healthyFallback: false, providerExtra: "stream_ms: 1500") { harness, _ in
            let stream = try await harness.chat(model: "m", stream: true)
            #expect(stream.status == 200)
            #expect(streamedText(stream.body) == "Hello")
            let last = try #require(ssePayloads(stream.body).last)
            #expect(last.contains(#""error""#) && last.contains("1500 ms"), "\(last)")
            let plain = try await harness.chat(model: "m", stream: false)
            #expect(plain.status == 502)
        }
    }

    // MARK: Redirects

    @Test("a redirect is never followed: a provider failure, failed over; the redirect target receives nothing")
    func redirect() async throws {
        try await StubProvider.with({ _, connection in
            try await connection.write(StubProvider.response(status: "200 OK", body: "{}"))
        }) { target in
            let script: StubProvider.Script = { _, connection in
                try await connection.write(
                    StubProvider.response(
                        status: "307 Temporary Redirect",
                        extra: "location: http://127.0.0.1:\(target.port)/v1/chat/completions\r\n", body: ""))
            }
            try await RouterHarness.withStub(script) { harness, stub in
                let response = try await harness.chat(model: "m", stream: true)
                #expect(response.status == 200)
                #expect(response.headers.first(name: "x-edge-provider") == "p1")
                #expect(stub.requests.count == 1)
                #expect(target.requests.isEmpty, "the provider's key went to the redirect target")
                #expect(try await Self.failures(harness, cause: "status") == 1)
            }
        }
    }

    // MARK: Finished without [DONE]

    @Test("an answer with a finish_reason whose connection closes without [DONE] is complete, for both kinds of client")
    func finishedWithoutDone() async throws {
        let script: StubProvider.Script = { _, connection in
            try await connection.write(
                StubProvider.streamHead() + StubProvider.chunk("Hello") + StubProvider.chunk(" world")
                    + StubProvider.chunk(nil, finish: "stop"))
        }
        try await RouterHarness.withStub(script, healthyFallback: false) { harness, _ in
            let plain = try await harness.chat(model: "m", stream: false)
            #expect(plain.status == 200, "\(plain.body)")
            #expect(plain.body.contains(#""content":"Hello world""#), "\(plain.body)")
            #expect(plain.body.contains(#""finish_reason":"stop""#))
            let stream = try await harness.chat(model: "m", stream: true)
            #expect(stream.status == 200)
            #expect(streamedText(stream.body) == "Hello world")
            #expect(ssePayloads(stream.body).last == "[DONE]", "\(stream.body)")
            #expect(!stream.body.contains(#""error""#))
            let (lastFailure, breaker) = try Self.runtime(harness)
            #expect(lastFailure == nil)
            #expect(breaker == .closed)
        }
    }

    @Test("a stream that closes after content but before any finish_reason is still a broken stream")
    func unfinishedIsBroken() async throws {
        let script: StubProvider.Script = { _, connection in
            try await connection.write(StubProvider.streamHead() + StubProvider.chunk("Hel"))
        }
        try await RouterHarness.withStub(script, healthyFallback: false) { harness, _ in
            let plain = try await harness.chat(model: "m", stream: false)
            #expect(plain.status == 502)
        }
    }

    // MARK: Content-less frames before the first token

    @Test("100 and 1000 empty deltas in several reads before the first token: answered by that provider at once",
          arguments: [100, 1000])
    func emptyDeltasBeforeFirstToken(_ count: Int) async throws {
        let script: StubProvider.Script = { _, connection in
            try await connection.write(StubProvider.streamHead())
            for _ in 0..<(count / 10) {
                try await connection.write(String(repeating: StubProvider.chunk(nil), count: 10))
                try await Task.sleep(for: .milliseconds(2))
            }
            try await connection.write(StubProvider.chunk("Hi") + StubProvider.chunk(nil, finish: "stop") + StubProvider.done)
        }
        try await RouterHarness.withStub(script, firstTokenMs: 20_000) { harness, _ in
            let started = ContinuousClock.now
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p0")
            #expect(streamedText(response.body) == "Hi")
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(try Self.runtime(harness).lastFailure == nil)
        }
    }

    @Test("more than a mebibyte of content-less frames before the first token is malformed and failed over")
    func holdBackBound() async throws {
        let script: StubProvider.Script = { _, connection in
            try await connection.write(StubProvider.streamHead())
            let batch = String(repeating: StubProvider.chunk(nil), count: 100)
            while true { try await connection.write(batch) }
        }
        try await RouterHarness.withStub(script, firstTokenMs: 20_000) { harness, _ in
            let started = ContinuousClock.now
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1")
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(try await Self.failures(harness, cause: "malformed") == 1)
        }
    }
}
