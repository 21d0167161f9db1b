import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ProviderSim
import RequestLog
import Testing

/// Resumable answers: a client that drops reconnects and gets the rest, the provider called once.
@Suite("Resumable streams: event ids, resume after a drop, isolation, bounds", .serialized, .timeLimit(.minutes(3)))
struct ResumableStreamTests {
    /// 40 tokens at 100 a second: a stream of about 400 ms, long enough to drop in the middle.
    static func slowSim() -> SimulatorSettings {
        var settings = ChatStreamingTests.fastSim(ttft: 20, tokens: 40)
        settings.tokensPerSecond = 100
        return settings
    }

    static let resumableKeys = """
          - id: agent
            key: agent-key-0001
            resumable: true
          - id: other
            key: other-key-0001
            resumable: true
        """

    static func yaml(_ ports: [Int], resume: String = "", log: String? = nil, firstTokenMs: Int = 2000, maxAttempts: Int = 3) -> String {
        testYAML(ports: ports, firstTokenMs: firstTokenMs, maxAttempts: maxAttempts, extraKeys: resumableKeys) + "\n\(resume)\n" + (log.map { "log: { path: \"\($0)\", batch_ms: 10 }\n" } ?? "")
    }

    /// A streamed request sent over a raw connection, read until `events` SSE events have arrived, then dropped.
    /// Returns the request id and the text received.
    static func dropAfter(
        _ events: Int, port: Int, key: String = "agent-key-0001", extraHeaders: String = "", body: String? = nil
    ) async throws -> (id: String, text: String) {
        let client = try await RawClient.connect(port: port)
        let payload = body ?? RouterHarness.chatBody(model: "m", stream: true)
        try await client.send(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer \(key)\r\ncontent-type: application/json\r\n"
                + "content-length: \(payload.utf8.count)\r\n\(extraHeaders)\r\n\(payload)")
        // Counted in bytes: in a Swift string a chunk size's "\r\n" before an "id:" is one character.
        let seen = await client.wait(for: .seconds(20)) { seen in
            seen.text.utf8.split(separator: UInt8(ascii: "\n")).filter { $0.starts(with: "id: ".utf8) }.count >= events
        }
        await client.close()
        let id = seen.text.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("x-edge-request-id: ") }
            .map { String($0.dropFirst("x-edge-request-id: ".count)) }
        return (try #require(id, "no request id in \(seen.text.prefix(300))"), seen.text)
    }

    /// Sends a chat request with an id of the client's own over a raw connection and leaves once the provider has
    /// it (before that a fetch is rightly a 404). Returns the id.
    static func sendAndLeave(_ body: String, id prefix: String, harness: RouterHarness) async throws -> String {
        let client = try await RawClient.connect(port: harness.router.port)
        let chosen = "\(prefix)-\(UUID().uuidString.prefix(8))"
        try await client.send(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer agent-key-0001\r\n"
                + "x-edge-request-id: \(chosen)\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")
        _ = await harness.sims[0].waitForStats(timeout: .seconds(20)) { $0.received == 1 }
        await client.close()
        return chosen
    }

    /// The SSE events in a chunked HTTP/1.1 body read raw: the text after the head, de-chunked.
    static func events(ofRaw text: String) -> [String] {
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        // Chunk sizes sit on lines of their own between events; drop them.
        let lines = body.components(separatedBy: "\r\n").filter { line in !(line.allSatisfy(\.isHexDigit) && !line.isEmpty) }
        return lines.joined().components(separatedBy: "\n\n").filter { $0.hasPrefix("id: ") }
    }

    @Test("OpenAI and Anthropic streams number every event from 1 with no gap; Gemini streams carry no id lines")
    func eventIDs() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            for client in [DialectClient.openai, .anthropic] {
                let request = client.request(model: "m", stream: true)
                let response = try await harness.send(request.path, body: request.body, headers: request.headers)
                let ids = sseEventIDs(response.body)
                #expect(!ids.isEmpty && ids == ids.indices.map { $0 + 1 }, "\(client): \(ids)")
            }
            let gemini = DialectClient.gemini.request(model: "m", stream: true)
            let response = try await harness.send(gemini.path, body: gemini.body, headers: gemini.headers)
            #expect(response.status == 200 && !response.body.contains("id: "))
        }
    }

    @Test("a client that drops mid-stream fetches the rest after its Last-Event-ID: every event once, in order, and the provider saw one request")
    func resumeAfterDrop() async throws {
        try await RouterHarness.run(sims: [Self.slowSim()], yaml: { Self.yaml($0) }) { harness in
            let (id, text) = try await Self.dropAfter(3, port: harness.router.port)
            #expect(text.lowercased().contains("x-edge-resumable: true"))
            let first = Self.events(ofRaw: text)
            let lastID = try #require(first.last.flatMap { sseEventIDs($0 + "\n\n").first ?? nil })
            let rest = try await harness.send(
                "/v1/edge/streams/\(id)", method: .GET,
                headers: [("authorization", "Bearer agent-key-0001"), ("last-event-id", String(lastID))])
            #expect(rest.status == 200)
            let restIDs = sseEventIDs(rest.body)
            #expect(restIDs.first == lastID + 1)
            #expect(restIDs == restIDs.indices.map { lastID + 1 + $0 })
            let payloads = ssePayloads(first.joined(separator: "\n\n") + "\n\n") + ssePayloads(rest.body)
            #expect(payloads.last == "[DONE]")
            // From the start, without a last id: the two parts together are exactly the whole stream.
            let whole = try await harness.send("/v1/edge/streams/\(id)", method: .GET, headers: [("authorization", "Bearer agent-key-0001")])
            #expect(sseEventIDs(whole.body).first == 1)
            #expect(payloads == ssePayloads(whole.body))
            #expect(streamedText(whole.body).hasPrefix("The quick brown fox"))
            #expect(harness.sims[0].stats.received == 1)
            let after = try await harness.send(
                "/v1/edge/streams/\(id)?after=\(lastID)", method: .GET, headers: [("authorization", "Bearer agent-key-0001")])
            #expect(after.body == rest.body)
        }
    }

    @Test("two readers follow one live answer at once, one from the start and one after event 2: each gets its events once, and they agree")
    func concurrentReaders() async throws {
        try await RouterHarness.run(sims: [Self.slowSim()], yaml: { Self.yaml($0) }) { harness in
            let (id, _) = try await Self.dropAfter(2, port: harness.router.port)
            async let fromStart = harness.send(
                "/v1/edge/streams/\(id)", method: .GET, headers: [("authorization", "Bearer agent-key-0001")])
            async let afterTwo = harness.send(
                "/v1/edge/streams/\(id)", method: .GET, headers: [("authorization", "Bearer agent-key-0001"), ("last-event-id", "2")])
            let (whole, rest) = try await (fromStart, afterTwo)
            let wholeIDs = sseEventIDs(whole.body)
            #expect(wholeIDs == wholeIDs.indices.map { $0 + 1 })
            #expect(sseEventIDs(rest.body) == Array(wholeIDs.dropFirst(2)))
            #expect(ssePayloads(rest.body) == Array(ssePayloads(whole.body).dropFirst(2)))
            #expect(ssePayloads(whole.body).last == "[DONE]")
            #expect(harness.sims[0].stats.received == 1)
        }
    }

    @Test("another key, an unknown id and no key: the same 404 for the first two, 401 for the last")
    func isolation() async throws {
        try await RouterHarness.run(sims: [Self.slowSim()], yaml: { Self.yaml($0) }) { harness in
            let (id, _) = try await Self.dropAfter(1, port: harness.router.port)
            let other = try await harness.send("/v1/edge/streams/\(id)", method: .GET, headers: [("authorization", "Bearer other-key-0001")])
            let unknown = try await harness.send(
                "/v1/edge/streams/0123456789abcdef", method: .GET, headers: [("authorization", "Bearer agent-key-0001")])
            #expect(other.status == 404 && unknown.status == 404)
            // The same answer but for the id of the GET itself, quoted at the end of the message.
            func shape(_ body: String) throws -> String {
                let message = try openAIError(body)["message"] as? String ?? ""
                return String(message.prefix { $0 != "(" })
            }
            #expect(try shape(other.body) == shape(unknown.body))
            let anonymous = try await harness.send("/v1/edge/streams/\(id)", method: .GET, headers: [])
            #expect(anonymous.status == 401)
        }
    }

    @Test("a client that leaves a non-streaming request before its answer fetches the whole answer by the id it chose")
    func wholeAnswerAfterLeaving() async throws {
        var slow = Self.slowSim()
        slow.ttftMilliseconds = 300
        try await RouterHarness.run(sims: [slow], yaml: { Self.yaml($0) }) { harness in
            let body = RouterHarness.chatBody(model: "m", stream: false)
            let chosen = try await Self.sendAndLeave(body, id: "agent-run-7-step-3", harness: harness)
            let answer = try await harness.send("/v1/edge/streams/\(chosen)", method: .GET, headers: [("authorization", "Bearer agent-key-0001")])
            #expect(answer.status == 200)
            #expect(answer.body.contains(#""object":"chat.completion""#))
            #expect(answer.headers.first(name: "x-edge-request-id") == chosen)
            #expect(harness.sims[0].stats.received == 1)
            // The id is held now: the same id again is refused.
            let again = try await harness.send(
                "/v1/chat/completions", body: body, headers: [("authorization", "Bearer agent-key-0001"), ("x-edge-request-id", chosen)])
            #expect(again.status == 409)
            let bad = try await harness.send(
                "/v1/chat/completions", body: body, headers: [("authorization", "Bearer agent-key-0001"), ("x-edge-request-id", "short")])
            #expect(bad.status == 400)
        }
    }

    @Test("a stream whose every attempt fails after its client left is fetched as the error the client would have had")
    func failedStreamFetchedAsItsError() async throws {
        var hanging = ChatStreamingTests.fastSim()
        hanging.hang = true
        try await RouterHarness.run(sims: [hanging], yaml: { Self.yaml($0, firstTokenMs: 300, maxAttempts: 1) }) { harness in
            let chosen = try await Self.sendAndLeave(RouterHarness.chatBody(model: "m", stream: true), id: "agent-run-9-step-1", harness: harness)
            let answer = try await harness.send("/v1/edge/streams/\(chosen)", method: .GET, headers: [("authorization", "Bearer agent-key-0001")])
            #expect(answer.status == 502)
            #expect(try openAIError(answer.body)["code"] as? String == "all_providers_failed")
        }
    }

    @Test("x-edge-resumable: false opts a resumable key out (404 on fetch); true opts a plain key in")
    func optInAndOut() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { Self.yaml($0) }) { harness in
            let out = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: true),
                headers: [("authorization", "Bearer agent-key-0001"), ("x-edge-resumable", "false")])
            #expect(out.headers.first(name: "x-edge-resumable") == "false")
            let outID = try #require(out.headers.first(name: "x-edge-request-id"))
            let fetchOut = try await harness.send("/v1/edge/streams/\(outID)", method: .GET, headers: [("authorization", "Bearer agent-key-0001")])
            #expect(fetchOut.status == 404)
            let into = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: true),
                headers: [("authorization", "Bearer \(RouterHarness.clientKey)"), ("x-edge-resumable", "true")])
            #expect(into.headers.first(name: "x-edge-resumable") == "true")
            let intoID = try #require(into.headers.first(name: "x-edge-request-id"))
            let fetchInto = try await harness.send("/v1/edge/streams/\(intoID)", method: .GET)
            #expect(fetchInto.status == 200 && ssePayloads(fetchInto.body).last == "[DONE]")
        }
    }

    @Test("an answer nobody comes back for is cancelled upstream after max_unattended_ms, and counted")
    func unattendedCancelled() async throws {
        var endless = Self.slowSim()
        endless.answerTokens = 100_000
        try await RouterHarness.run(sims: [endless], yaml: { Self.yaml($0, resume: "resume: { max_unattended_ms: 200 }") }) { harness in
            _ = try await Self.dropAfter(2, port: harness.router.port)
            try await bounded(.seconds(20), "the unattended answer cancelled") {
                while harness.metricValue("edge_resume_unattended_cancellations_total") != 1 {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            try await bounded(.seconds(20), "the simulator seeing the cancellation") {
                while harness.sims[0].stats.cancelled != 1 { try await Task.sleep(for: .milliseconds(20)) }
            }
        }
    }

    @Test("past max_stream_bytes an answer is no longer held (410), though its client is served in full")
    func streamBound() async throws {
        var long = Self.slowSim()
        long.tokensPerSecond = 2000
        long.answerTokens = 200
        try await RouterHarness.run(sims: [long], yaml: { Self.yaml($0, resume: "resume: { max_stream_bytes: 4096 }") }) { harness in
            let headers = [("authorization", "Bearer agent-key-0001")]
            let first = try await harness.send("/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: true), headers: headers)
            #expect(first.status == 200 && first.headers.first(name: "x-edge-resumable") == "true")
            #expect(ssePayloads(first.body).last == "[DONE]")
            let id = try #require(first.headers.first(name: "x-edge-request-id"))
            let fetched = try await harness.send("/v1/edge/streams/\(id)", method: .GET, headers: headers)
            #expect(fetched.status == 410)
            #expect(harness.metricValue("edge_resume_buffer_bytes") == 0)
        }
    }

    @Test("while live answers fill max_total_bytes, a new answer is served unbuffered, says so, and is counted")
    func totalBound() async throws {
        let resume = "resume: { max_stream_bytes: 1000000, max_total_bytes: 1024 }"
        try await RouterHarness.run(sims: [Self.slowSim()], yaml: { Self.yaml($0, resume: resume) }) { harness in
            // Dropped after 8 events (over 1 KiB), the first answer goes on, live, into its buffer.
            _ = try await Self.dropAfter(8, port: harness.router.port)
            let next = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: true),
                headers: [("authorization", "Bearer agent-key-0001")])
            #expect(next.status == 200 && ssePayloads(next.body).last == "[DONE]")
            #expect(next.headers.first(name: "x-edge-resumable") == "false")
            #expect(harness.metricValue("edge_resume_unbuffered_total") == 1)
        }
    }

    @Test("the request log has one row for a dropped and resumed stream, with its resume counted")
    func resumesOnRecord() async throws {
        let log = try RequestRecordTests.logPath()
        try await RouterHarness.run(sims: [Self.slowSim()], yaml: { Self.yaml($0, log: log) }) { harness in
            let (id, _) = try await Self.dropAfter(2, port: harness.router.port)
            let rest = try await harness.send(
                "/v1/edge/streams/\(id)", method: .GET, headers: [("authorization", "Bearer agent-key-0001"), ("last-event-id", "2")])
            #expect(ssePayloads(rest.body).last == "[DONE]")
        }
        let records = try await SQLiteRequestStore(path: log).requests(RequestQuery())
        #expect(records.count == 1)
        #expect(records.first?.resumes == 1 && records.first?.status == 200 && records.first?.errorType == nil)
    }
}

/// The README's example, run as written with Python's httpx.
@Suite("Resumable streams: the README's httpx example", .serialized, .timeLimit(.minutes(2)))
struct ResumeExampleTests {
    @Test(
        "the httpx example reads part of a stream, drops it, resumes after its last id, and ends with the same text as the whole answer",
        .enabled(if: PythonScript.python != nil))
    func httpxExample() async throws {
        try await RouterHarness.run(sims: [ResumableStreamTests.slowSim()], yaml: { ResumableStreamTests.yaml($0) }) { harness in
            let result = try await PythonScript.run("resume_httpx.py", arguments: [harness.base, "agent-key-0001", "m"])
            #expect(result.status == 0, "\(result.output)")
            let lines = result.output.split(separator: "\n").map(String.init)
            let id = try #require(lines.last)
            let whole = try await harness.send("/v1/edge/streams/\(id)", method: .GET, headers: [("authorization", "Bearer agent-key-0001")])
            #expect(lines.dropLast().joined(separator: "\n") == streamedText(whole.body))
            #expect(harness.sims[0].stats.received == 1)
        }
    }
}

/// The resume buffers' memory bound under many answers.
@Suite("Resumable streams: 1,000 buffered answers stay within max_total_bytes", .serialized, .timeLimit(.minutes(3)))
struct ResumeMemoryTests {
    @Test("1,000 resumable streams, 50 at a time: the buffers never hold more than max_total_bytes plus the live answers, old ones are evicted, the newest is fetchable")
    func thousandStreams() async throws {
        let limit = 256 << 10
        let resume = "resume: { max_total_bytes: \(limit), max_stream_bytes: 65536 }"
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { ResumableStreamTests.yaml($0, resume: resume) }) { harness in
            let headers = [("authorization", "Bearer agent-key-0001")]
            let body = RouterHarness.chatBody(model: "m", stream: true)
            var peak = 0.0
            var lastID = ""
            for _ in 0..<20 {
                let ids = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            let response = try await harness.send("/v1/chat/completions", body: body, headers: headers)
                            return response.headers.first(name: "x-edge-request-id") ?? ""
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                lastID = ids.last ?? ""
                peak = max(peak, harness.metricValue("edge_resume_buffer_bytes") ?? 0)
            }
            // 50 live answers of a few KiB each may pass the total while they run; finished ones are evicted.
            #expect(peak <= Double(limit + 50 * 8192))
            #expect((harness.metricValue("edge_resume_evictions_total") ?? 0) > 0)
            #expect((harness.metricValue("edge_resume_streams_count") ?? 0) < 1000)
            let fetched = try await harness.send("/v1/edge/streams/\(lastID)", method: .GET, headers: headers)
            #expect(fetched.status == 200 && ssePayloads(fetched.body).last == "[DONE]")
        }
    }
}

/// Resuming through another node of the fleet: two router processes.
@Suite("Resumable streams across the fleet", .serialized, .timeLimit(.minutes(3)))
struct FleetResumeTests {
    /// A port free now (bound, then released), for configurations that must name each other's address.
    static func freePort() throws -> Int {
        let socket = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? socket.close().wait() }
        return socket.localAddress?.port ?? 0
    }

    static func yaml(simPort: Int, selfID: String, ports: [String: Int], secret: String) -> String {
        let nodes = ports.sorted { $0.key < $1.key }.map { id, port in
            "    - { id: \(id), url: \"http://127.0.0.1:\(port)\", latitude: 50, longitude: 8 }"
        }.joined(separator: "\n")
        return testYAML(ports: [simPort], extraKeys: ResumableStreamTests.resumableKeys)
            .replacingOccurrences(of: "${TEST_PROVIDER_KEY}", with: "provider-secret")
            .replacingOccurrences(of: "  port: 0", with: "  port: \(ports[selfID] ?? 0)")
            + "\nfleet:\n  self: \(selfID)\n  secret: \"\(secret)\"\n  nodes:\n\(nodes)\n"
    }

    /// Two router processes, nodes a and b of one fleet, in front of one slow simulator, for `body`.
    static func withTwoNodes(
        _ body: (_ sim: ProviderSimulator, _ a: RouterProcess, _ portA: Int, _ portB: Int) async throws -> Void
    ) async throws {
        let (simPorts, continuation) = AsyncStream.makeStream(of: Int.self)
        let sim = ProviderSimulator(settings: ResumableStreamTests.slowSim(), logger: RouterHarness.logger) { continuation.yield($0) }
        let sims = ServiceRunner([sim])
        defer { sims.stop() }
        var iterator = simPorts.makeAsyncIterator()
        let simPort = try #require(await iterator.next())
        let ports = ["a": try Self.freePort(), "b": try Self.freePort()]
        let secret = "fleet-secret-0123456789"
        let a = try RouterProcess(yaml: Self.yaml(simPort: simPort, selfID: "a", ports: ports, secret: secret), openFiles: 4096)
        defer { a.stop() }
        let b = try RouterProcess(yaml: Self.yaml(simPort: simPort, selfID: "b", ports: ports, secret: secret), openFiles: 4096)
        defer { b.stop() }
        let portA = try #require(await a.port(), "node a did not start")
        let portB = try #require(await b.port(), "node b did not start")
        try await body(sim, a, portA, portB)
    }

    @Test("a stream read through node a, dropped, resumes through node b with the same key: the rest once each, the provider called once; a wrong fleet secret is refused")
    func resumeThroughAnotherNode() async throws {
        try await Self.withTwoNodes { sim, _, portA, portB in
            let (id, text) = try await ResumableStreamTests.dropAfter(3, port: portA)
            #expect(id.hasPrefix("a."))
            let first = ResumableStreamTests.events(ofRaw: text)
            let lastID = try #require(first.last.flatMap { sseEventIDs($0 + "\n\n").first ?? nil })

            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
            defer { _ = client.shutdown() }
            func get(_ port: Int, headers: [(String, String)]) async throws -> (status: Int, body: String) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/edge/streams/\(id)")
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                let response = try await client.execute(request, timeout: .seconds(20))
                return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            let rest = try await get(portB, headers: [("authorization", "Bearer agent-key-0001"), ("last-event-id", String(lastID))])
            #expect(rest.status == 200)
            #expect(sseEventIDs(rest.body).first == lastID + 1)
            let whole = try await get(portA, headers: [("authorization", "Bearer agent-key-0001")])
            #expect(ssePayloads(first.joined(separator: "\n\n") + "\n\n") + ssePayloads(rest.body) == ssePayloads(whole.body))
            #expect(sim.stats.received == 1)
            // Another key is refused through either node; a forged fleet call too.
            let other = try await get(portB, headers: [("authorization", "Bearer other-key-0001")])
            #expect(other.status == 404)
            let forged = try await get(portA, headers: [("authorization", "Bearer agent-key-0001"), ("x-edge-fleet-secret", "guess-guess-guess-guess")])
            #expect(forged.status == 401)
        }
    }

    @Test("node a, draining after SIGTERM, still serves a resume forwarded through node b: the rest once each, the provider called once; then a stops")
    func resumeThroughAnotherNodeWhileOwnerDrains() async throws {
        try await Self.withTwoNodes { sim, a, portA, portB in
            let (id, text) = try await ResumableStreamTests.dropAfter(3, port: portA)
            let lastID = try #require(ResumableStreamTests.events(ofRaw: text).last.flatMap { sseEventIDs($0 + "\n\n").first ?? nil })
            a.process.terminate()
            #expect(await a.line(containing: "draining: serving resumes of buffered answers") != nil)

            let rest = try await DrainingResumeTests.get(
                portB, "/v1/edge/streams/\(id)", headers: [("authorization", "Bearer agent-key-0001"), ("last-event-id", String(lastID))])
            #expect(rest.status == 200)
            let ids = sseEventIDs(rest.body)
            #expect(!ids.isEmpty && ids == ids.indices.map { lastID + 1 + $0 })
            #expect(ssePayloads(rest.body).last == "[DONE]")
            #expect(sim.stats.received == 1)
            #expect(await a.line(containing: "draining: every buffered answer delivered") != nil)
        }
    }
}
