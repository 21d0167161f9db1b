import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import Prometheus
import ProviderSim
import Testing

/// Read timeouts, per-client connection caps, refusals at the head and early closes, over raw sockets.
@Suite("Client connections: timeouts, caps and refusals at the head", .timeLimit(.minutes(3)))
struct ConnectionLimitsTests {
    static let key = "authorization: Bearer \(RouterHarness.clientKey)\r\n"

    /// A router with short read timeouts (and the given extra `server:` lines) in front of one fast simulator.
    static func run(
        server: String = "", sim: SimulatorSettings = ChatStreamingTests.fastSim(),
        _ body: @Sendable (RouterHarness) async throws -> Void
    ) async throws {
        let lines = "  timeouts: { header_read_ms: 400, body_read_ms: 400, idle_ms: 600 }\n" + server
        try await RouterHarness.run(sims: [sim], yaml: { testYAML(ports: $0, server: lines) }, body)
    }

    static func chatRequest(stream: Bool, extraHeaders: String = "", version: String = "1.1") -> String {
        let body = RouterHarness.chatBody(model: "m", stream: stream)
        return "POST /v1/chat/completions HTTP/\(version)\r\nhost: x\r\n\(key)content-type: application/json\r\n"
            + "content-length: \(body.utf8.count)\r\n\(extraHeaders)\r\n\(body)"
    }

    /// The status code of the first final answer in `text`.
    static func status(_ text: String) -> Int? {
        text.components(separatedBy: "\r\n").first { $0.hasPrefix("HTTP/1.") && !$0.contains(" 100 ") }
            .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } }
    }

    @Test("a request head sent slowly is answered 408 and its connection closed after header_read_ms")
    func slowHead() async throws {
        try await Self.run { harness in
            let clients = try await (0..<20).asyncMap { _ in try await RawClient.connect(port: harness.router.port) }
            for client in clients { try await client.send("GET /healthz HTTP/1.1\r\nho") }
            for client in clients {
                let seen = await client.waitForClose(.seconds(20))
                #expect(seen.closed)
                #expect(Self.status(seen.text) == 408)
                await client.close()
            }
            #expect(harness.metricValue(#"edge_connection_timeouts_total{phase="header"}"#) == 20)
        }
    }

    @Test("a body that stops coming is answered 408 and its connection closed after body_read_ms")
    func slowBody() async throws {
        try await Self.run { harness in
            let client = try await RawClient.connect(port: harness.router.port)
            try await client.send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n\(Self.key)content-length: 100\r\n\r\n{\"mo")
            let seen = await client.waitForClose(.seconds(20))
            #expect(seen.closed)
            #expect(Self.status(seen.text) == 408)
            #expect(harness.metricValue(#"edge_connection_timeouts_total{phase="body"}"#) == 1)
            await client.close()
        }
    }

    @Test("an idle connection, new or kept alive after an answer, is closed after idle_ms without an answer")
    func idle() async throws {
        try await Self.run { harness in
            let silent = try await RawClient.connect(port: harness.router.port)
            let kept = try await RawClient.connect(port: harness.router.port)
            try await kept.send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            let answered = await kept.wait { $0.text.contains(#"{"status":"ok"}"#) }
            #expect(Self.status(answered.text) == 200)
            let silentSeen = await silent.waitForClose(.seconds(20))
            let keptSeen = await kept.waitForClose(.seconds(20))
            #expect(silentSeen.closed && silentSeen.text.isEmpty)
            #expect(keptSeen.closed && keptSeen.text == answered.text)
            #expect(harness.metricValue(#"edge_connection_timeouts_total{phase="idle"}"#) == 2)
            await silent.close()
            await kept.close()
        }
    }

    @Test("a client address over max_connections_per_client has its next connection closed at once, and counted")
    func perClientCap() async throws {
        try await Self.run(server: "  max_connections_per_client: 2\n") { harness in
            let first = try await RawClient.connect(port: harness.router.port)
            let second = try await RawClient.connect(port: harness.router.port)
            let third = try await RawClient.connect(port: harness.router.port)
            let refused = await third.waitForClose(.seconds(5))
            #expect(refused.closed && refused.text.isEmpty)
            try await first.send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            #expect(Self.status(await first.wait(for: .seconds(10)) { $0.text.contains("ok") }.text) == 200)
            #expect(harness.metricValue(#"edge_connections_refused_total{reason="per_client_limit"}"#) == 1)
            for client in [first, second, third] { await client.close() }
        }
    }

    @Test("an unauthenticated request is answered 401 at its head and closed without its body, on every route")
    func unauthenticatedAtHead() async throws {
        try await Self.run { harness in
            for path in ["POST /v1/chat/completions", "GET /v1/models"] {
                let client = try await RawClient.connect(port: harness.router.port)
                try await client.send("\(path) HTTP/1.1\r\nhost: x\r\ncontent-length: 4000000\r\n\r\n{")
                let seen = await client.waitForClose(.seconds(20))
                #expect(seen.closed, "\(path)")
                #expect(Self.status(seen.text) == 401, "\(path)")
                #expect(seen.text.contains(#""code":"invalid_api_key""#), "\(path)")
                #expect(harness.metricValue(#"edge_connection_timeouts_total{phase="body"}"#) == 0)
                await client.close()
            }
        }
    }

    @Test("a declared body over max_body_bytes is 413 at the head on every route; a chunked chat body past it is 413, and a route that takes no body closes after its answer")
    func bodyCap() async throws {
        try await Self.run(server: "  max_body_bytes: 2048\n") { harness in
            for path in ["POST /v1/chat/completions", "GET /v1/models"] {
                let declared = try await RawClient.connect(port: harness.router.port)
                try await declared.send("\(path) HTTP/1.1\r\nhost: x\r\n\(Self.key)content-length: 1000000000\r\n\r\n")
                let seen = await declared.waitForClose(.seconds(20))
                #expect(seen.closed && Self.status(seen.text) == 413, "\(path): \(seen.text)")
                await declared.close()

                let chunked = try await RawClient.connect(port: harness.router.port)
                try await chunked.send("\(path) HTTP/1.1\r\nhost: x\r\n\(Self.key)transfer-encoding: chunked\r\n\r\n")
                let chunk = String(repeating: "a", count: 1024)
                for _ in 0..<3 { try await chunked.send("400\r\n\(chunk)\r\n") }
                let grown = await chunked.waitForClose(.seconds(20))
                #expect(grown.closed, "\(path)")
                if path.hasPrefix("POST") {
                    #expect(Self.status(grown.text) == 413, "\(path): \(grown.text)")
                } else {
                    // The models route answers without reading a body: the connection closes after the answer.
                    #expect(grown.text.lowercased().contains("connection: close"), "\(path): \(grown.text)")
                }
                await chunked.close()
            }
        }
    }

    @Test("Expect: 100-continue gets 100 Continue before a chat body when the request is acceptable, else a final status and a close")
    func expectContinue() async throws {
        try await Self.run { harness in
            let body = RouterHarness.chatBody(model: "m", stream: false)
            let client = try await RawClient.connect(port: harness.router.port)
            try await client.send(
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n\(Self.key)content-length: \(body.utf8.count)\r\nexpect: 100-continue\r\n\r\n")
            let interim = await client.wait(for: .seconds(10)) { $0.text.contains("\r\n\r\n") }
            #expect(interim.text.hasPrefix("HTTP/1.1 100 Continue\r\n"))
            try await client.send(body)
            let answered = await client.wait(for: .seconds(20)) { $0.text.contains(#""object":"chat.completion""#) }
            #expect(Self.status(answered.text) == 200)
            await client.close()

            let stranger = try await RawClient.connect(port: harness.router.port)
            try await stranger.send(
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\nexpect: 100-continue\r\n\r\n")
            let refused = await stranger.waitForClose(.seconds(20))
            #expect(refused.closed && Self.status(refused.text) == 401 && !refused.text.contains(" 100 "))
            await stranger.close()

            // A route that takes no body answers with its final status at once, and closes rather than read the body.
            let models = try await RawClient.connect(port: harness.router.port)
            try await models.send("GET /v1/models HTTP/1.1\r\nhost: x\r\n\(Self.key)content-length: 5000\r\nexpect: 100-continue\r\n\r\n")
            let listed = await models.waitForClose(.seconds(20))
            #expect(listed.closed && Self.status(listed.text) == 200 && !listed.text.contains(" 100 "))
            await models.close()
        }
    }

    @Test("a client that half-closes after its request gets its whole streamed answer")
    func halfClose() async throws {
        try await Self.run { harness in
            let client = try await RawClient.connect(port: harness.router.port)
            try await client.send(Self.chatRequest(stream: true))
            try await client.halfClose()
            let seen = await client.waitForClose(.seconds(20))
            #expect(seen.closed)
            #expect(seen.text.contains("data: [DONE]"))
            #expect(harness.sims[0].stats.cancelled == 0)
            await client.close()
        }
    }

    @Test("a client that pipelines requests of both kinds and half-closes gets every answer, in order")
    func halfClosePipelined() async throws {
        try await Self.run { harness in
            let client = try await RawClient.connect(port: harness.router.port)
            let models = "GET /v1/models HTTP/1.1\r\nhost: x\r\n\(Self.key)\r\n"
            try await client.send(models + Self.chatRequest(stream: true) + models + Self.chatRequest(stream: false))
            try await client.halfClose()
            let seen = await client.waitForClose(.seconds(20))
            #expect(seen.closed)
            var position = seen.text.startIndex
            for marker in [#""object":"list""#, "data: [DONE]", #""object":"list""#, #""object":"chat.completion""#] {
                let found = seen.text[position...].range(of: marker)
                #expect(found != nil, "'\(marker)' missing or out of order")
                position = found?.upperBound ?? position
            }
            await client.close()
        }
    }

    @Test("an HTTP/1.0 client gets an HTTP/1.0 stream without chunked encoding, ended by closing the connection")
    func http10Stream() async throws {
        try await Self.run { harness in
            let client = try await RawClient.connect(port: harness.router.port)
            try await client.send(Self.chatRequest(stream: true, version: "1.0"))
            let seen = await client.waitForClose(.seconds(20))
            #expect(seen.closed)
            #expect(seen.text.hasPrefix("HTTP/1.0 200"))
            #expect(!seen.text.lowercased().contains("transfer-encoding"))
            let body = seen.text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            #expect(body.hasPrefix("id: 1\ndata: {"))
            #expect(body.hasSuffix("data: [DONE]\n\n"))
            await client.close()
        }
    }

    @Test("an HTTP/1.1 stream is chunked: each size line gives its chunk's length, the last chunk ends the body, the connection then answers another request")
    func http11StreamChunks() async throws {
        try await Self.run { harness in
            let client = try await RawClient.connect(port: harness.router.port)
            try await client.send(Self.chatRequest(stream: true))
            let seen = await client.wait(for: .seconds(20)) { $0.text.hasSuffix("\r\n0\r\n\r\n") }
            #expect(seen.text.hasPrefix("HTTP/1.1 200"))
            #expect(seen.text.lowercased().contains("transfer-encoding: chunked"))
            let body = Self.dechunk(Array(seen.text.utf8.split(separator: Array("\r\n\r\n".utf8), maxSplits: 1).dropFirst().joined()))
            #expect(body.chunks > 1)
            #expect(body.text.hasPrefix("id: 1\ndata: {"))
            #expect(body.text.hasSuffix("data: [DONE]\n\n"))
            #expect(body.rest.isEmpty)
            try await client.send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            let next = await client.wait(for: .seconds(20)) { $0.text.contains(#"{"status":"ok"}"#) }
            #expect(next.text.contains(#"{"status":"ok"}"#))
            await client.close()
        }
    }

    /// A chunked body taken apart: the data of its chunks up to the last chunk, their count, and what followed.
    /// A size line that does not parse, or a chunk not followed by CRLF, ends it early (the rest is then not empty).
    static func dechunk(_ bytes: [UInt8]) -> (text: String, chunks: Int, rest: [UInt8]) {
        var data: [UInt8] = []
        var chunks = 0
        var rest = bytes[...]
        while let lineEnd = rest.firstRange(of: Array("\r\n".utf8)),
            let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16)
        {
            let start = lineEnd.upperBound
            guard size > 0 else { return (String(decoding: data, as: UTF8.self), chunks, Array(rest[start...].dropFirst(2))) }
            guard rest.distance(from: start, to: rest.endIndex) >= size + 2,
                rest[(start + size)...].starts(with: Array("\r\n".utf8))
            else { break }
            data += rest[start..<(start + size)]
            chunks += 1
            rest = rest[(start + size + 2)...]
        }
        return (String(decoding: data, as: UTF8.self), chunks, Array(rest))
    }

    @Test("an HTTP/1.0 client asking keep-alive keeps its connection for an answer of known length")
    func http10KeepAlive() async throws {
        try await Self.run { harness in
            let client = try await RawClient.connect(port: harness.router.port)
            try await client.send(Self.chatRequest(stream: false, extraHeaders: "connection: keep-alive\r\n", version: "1.0"))
            let first = await client.wait(for: .seconds(20)) { $0.text.contains(#""object":"chat.completion""#) }
            #expect(first.text.hasPrefix("HTTP/1.0 200"))
            #expect(first.text.lowercased().contains("connection: keep-alive"))
            try await client.send("GET /healthz HTTP/1.0\r\n\r\n")
            let second = await client.waitForClose(.seconds(20))
            #expect(second.text.contains(#"{"status":"ok"}"#))
            await client.close()
        }
    }

    @Test("chat answers carry a Date header")
    func dateHeader() async throws {
        try await Self.run { harness in
            for stream in [false, true] {
                let response = try await harness.chat(model: "m", stream: stream)
                #expect(response.status == 200)
                #expect(response.headers.first(name: "date")?.hasSuffix(" GMT") ?? false)
            }
        }
    }
}

/// Request smuggling and header abuse: each is refused and its connection closed.
@Suite("Client connections: smuggling and header abuse", .timeLimit(.minutes(3)))
struct RequestSmugglingTests {
    static let key = ConnectionLimitsTests.key

    /// Sends `request` on a new connection; returns the status answered and whether the router closed.
    static func refusal(_ request: String, port: Int) async throws -> (status: Int?, closed: Bool, text: String) {
        let client = try await RawClient.connect(port: port)
        defer { Task { await client.close() } }
        try await client.send(request)
        let seen = await client.waitForClose(.seconds(20))
        return (ConnectionLimitsTests.status(seen.text), seen.closed, seen.text)
    }

    static let cases: [(name: String, request: String, status: Int)] = [
        ("content-length and transfer-encoding",
         "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n\(key)content-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("two different content-lengths",
         "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n\(key)content-length: 4\r\ncontent-length: 5\r\n\r\nabcde", 400),
        ("a bad chunk size",
         "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n\(key)transfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
        ("a header block of megabytes",
         "GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: \(String(repeating: "a", count: 2 << 20))\r\n\r\n", 431),
        ("thousands of headers",
         "GET /healthz HTTP/1.1\r\nhost: x\r\n" + (0..<5000).map { "x-h\($0): v\r\n" }.joined() + "\r\n", 431),
        ("no Host header", "GET /healthz HTTP/1.1\r\n\r\n", 400),
        ("two Host headers", "GET /healthz HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n", 400),
    ]

    @Test("each abusive request is refused with its status and the connection closed", arguments: cases.indices)
    func refused(_ index: Int) async throws {
        let (name, request, status) = Self.cases[index]
        try await ConnectionLimitsTests.run { harness in
            let answer = try await Self.refusal(request, port: harness.router.port)
            #expect(answer.status == status, "\(name): \(answer.text.prefix(200))")
            #expect(answer.closed, "\(name)")
            #expect(harness.sims[0].stats.received == 0, "\(name)")
        }
    }

    @Test("a client still sending its header block after the 431 can send 2 MiB more without a reset, and the router closes once it stops")
    func lingersAfterHeaderOverflow() async throws {
        try await ConnectionLimitsTests.run { harness in
            let client = try await RawClient.connect(port: harness.router.port)
            try await client.send("GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: " + String(repeating: "a", count: 100 << 10))
            let refused = await client.wait(for: .seconds(20)) { $0.text.contains("\r\n\r\n{") }
            #expect(ConnectionLimitsTests.status(refused.text) == 431)
            // Bytes after the refusal reach a decoder that has stopped; the router must drop them, not reset.
            for _ in 0..<16 { try await client.send(String(repeating: "a", count: 128 << 10)) }
            try await client.halfClose()
            let seen = await client.waitForClose(.seconds(20))
            #expect(seen.closed)
            await client.close()
        }
    }
}

extension RouterHarness {
    /// The value of one sample of the router's metrics (by its exact name and labels), or nil.
    func metricValue(_ sample: String) -> Double? {
        let text = String(decoding: router.metrics.registry.emitToBuffer(), as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix(sample + " ") }
            .flatMap { Double($0.dropFirst(sample.count + 1)) }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
