import AsyncHTTPClient
import EdgeRouter
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import RequestLog
import Testing

/// OpenAI's Responses API (`POST /v1/responses`) through the official `openai` package, unmodified but for base URL
/// and key, against providers of every dialect and the demo: create and stream, two turns through
/// `previous_response_id`, a function call round trip, retrieve and delete, isolation between keys, refusals.
@Suite("Responses API through the official openai package", .timeLimit(.minutes(8)))
struct ResponsesSDKTests {
    static let otherKey = "other-key-0001"

    @Test(
        "responses.create/stream, two turns, a tool round trip, reasoning summaries, retrieve and delete from OpenAI, Anthropic and Gemini providers; another key's ids are 404; web_search is a 400",
        .enabled(if: PythonScript.python != nil))
    func everyDialect() async throws {
        let sims = DialectClient.allCases.map { DialectMatrixTests.sim($0) }
        try await RouterHarness.run(
            sims: sims,
            yaml: { ports in
                testYAML(
                    ports: ports,
                    extraModels: """
                          - name: m-openai
                            deployments: [{ provider: p0, model: gpt-sim }]
                          - name: m-anthropic
                            deployments: [{ provider: p1, model: claude-sim }]
                          - name: m-gemini
                            deployments: [{ provider: p2, model: gemini-sim }]
                        """,
                    extraKeys: """
                          - id: other
                            key: \(Self.otherKey)
                        """, dialects: ["openai", "anthropic", "gemini"])
            }
        ) { harness in
            let (status, text) = try await PythonScript.run(
                "responses_sdk_check.py", arguments: [harness.base + "/v1", RouterHarness.clientKey, Self.otherKey] + DialectSDKTests.models)
            #expect(status == 0, "\(text)")
            let answer = DialectMatrixTests.expectedText
            for model in DialectSDKTests.models {
                #expect(text.contains("\(model) create: \(answer)"), "\(text)")
                #expect(text.contains("\(model) stream: \(answer)"), "\(text)")
                #expect(text.contains("\(model) sequence: True"), "\(text)")
                #expect(text.contains("\(model) second turn: \(answer) [previous True] [input True]"), "\(text)")
                #expect(text.contains("\(model) tool: get_weather True"), "\(text)")
                #expect(text.contains("\(model) after tool: \(answer)"), "\(text)")
                #expect(text.contains("\(model) streamed tool: get_weather True"), "\(text)")
                #expect(text.contains("\(model) reasoning: 1 True message"), "\(text)")
                #expect(text.contains("\(model) streamed reasoning: True"), "\(text)")
                #expect(text.contains("\(model) retrieve: True"), "\(text)")
                #expect(text.contains("\(model) deleted: 404"), "\(text)")
            }
            #expect(text.contains("unstored: 404"), "\(text)")
            #expect(text.contains("other key previous: 404 previous_response_id"), "\(text)")
            #expect(text.contains("other key retrieve: 404"), "\(text)")
            #expect(text.contains("other key delete: 404"), "\(text)")
            #expect(text.contains("still there: True"), "\(text)")
            #expect(text.contains("web_search: 400 invalid_request tools[0].type"), "\(text)")
            #expect(text.contains("error: NotFoundError 404 model_not_found"), "\(text)")
        }
    }

    @Test("responses.create/stream, two turns and a tool round trip against every demo model", .enabled(if: PythonScript.python != nil))
    func everyDemoModel() async throws {
        try await DemoSDKTests.run { harness in
            let (status, text) = try await PythonScript.run(
                "responses_sdk_check.py", arguments: [harness.base + "/v1", DemoConfiguration.clientKey, "-"] + DemoSDKTests.models)
            #expect(status == 0, "\(text)")
            for model in DemoSDKTests.models {
                #expect(text.contains("\(model) create: \(DialectMatrixTests.expectedText)"), "\(text)")
                #expect(text.contains("\(model) stream: \(DialectMatrixTests.expectedText)"), "\(text)")
                #expect(text.contains("\(model) second turn: \(DialectMatrixTests.expectedText)"), "\(text)")
                #expect(text.contains("\(model) tool: get_weather True"), "\(text)")
                #expect(text.contains("\(model) after tool: \(DialectMatrixTests.expectedText)"), "\(text)")
            }
            // The demo's answer is longer than the expected text's prefix: the second turn's flags end its line.
            #expect(text.components(separatedBy: "[previous True] [input True]\n").count == DemoSDKTests.models.count + 1, "\(text)")
        }
    }
}

/// The Responses API over plain HTTP: OpenAI's resume (`starting_after`) on the resumable stream buffer, errors in
/// OpenAI's shape, the request log's row.
@Suite("Responses API: resume, errors, the request log", .serialized, .timeLimit(.minutes(3)))
struct ResponsesHTTPTests {
    static let body = #"{"model":"m","input":"Say hello","stream":true}"#

    /// A streamed Responses request over a raw connection, read until `events` SSE events arrived, then dropped.
    static func dropAfter(_ events: Int, port: Int) async throws -> (id: String, text: String) {
        let client = try await RawClient.connect(port: port)
        try await client.send(
            "POST /v1/responses HTTP/1.1\r\nhost: x\r\nauthorization: Bearer agent-key-0001\r\ncontent-type: application/json\r\n"
                + "content-length: \(body.utf8.count)\r\n\r\n\(body)")
        let seen = await client.wait(for: .seconds(20)) { seen in
            seen.text.utf8.split(separator: UInt8(ascii: "\n")).filter { $0.starts(with: "id: ".utf8) }.count >= events
        }
        await client.close()
        let id = seen.text.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("x-edge-request-id: ") }
            .map { String($0.dropFirst("x-edge-request-id: ".count)) }
        return (try #require(id, "no request id in \(seen.text.prefix(300))"), seen.text)
    }

    static func object(_ payload: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
    }

    @Test("a client that drops mid-stream resumes with starting_after=N: the events after N once each, sequence numbers equal to SSE ids, the same as /v1/edge/streams?after=N; the provider saw one request; the finished response is stored")
    func resumeWithStartingAfter() async throws {
        try await RouterHarness.run(sims: [ResumableStreamTests.slowSim()], yaml: { ResumableStreamTests.yaml($0) }) { harness in
            let (id, text) = try await Self.dropAfter(6, port: harness.router.port)
            let first = ResumableStreamTests.events(ofRaw: text)
            let lastID = try #require(first.last.flatMap { sseEventIDs($0 + "\n\n").first ?? nil })
            let auth = [("authorization", "Bearer agent-key-0001")]
            let rest = try await harness.send("/v1/responses/resp_\(id)?stream=true&starting_after=\(lastID)", method: .GET, headers: auth)
            #expect(rest.status == 200)
            let restIDs = sseEventIDs(rest.body)
            #expect(!restIDs.isEmpty && restIDs == restIDs.indices.map { lastID + 1 + $0 })
            let restPayloads = ssePayloads(rest.body).map(Self.object)
            #expect(restPayloads.map { $0?["sequence_number"] as? Int } == restIDs)
            #expect(restPayloads.last??["type"] as? String == "response.completed")
            let edge = try await harness.send("/v1/edge/streams/\(id)?after=\(lastID)", method: .GET, headers: auth)
            #expect(edge.body == rest.body)
            let whole = try await harness.send("/v1/responses/resp_\(id)?stream=true", method: .GET, headers: auth)
            #expect(ssePayloads(first.joined(separator: "\n\n") + "\n\n") + ssePayloads(rest.body) == ssePayloads(whole.body))
            #expect(harness.sims[0].stats.received == 1)
            let stored = try await harness.send("/v1/responses/resp_\(id)", method: .GET, headers: auth)
            #expect(stored.status == 200)
            #expect(Self.object(stored.body)?["status"] as? String == "completed")
            let other = try await harness.send(
                "/v1/responses/resp_\(id)?stream=true&starting_after=1", method: .GET, headers: [("authorization", "Bearer other-key-0001")])
            #expect(other.status == 404)
            let bad = try await harness.send("/v1/responses/resp_\(id)?stream=true&starting_after=x", method: .GET, headers: auth)
            let badError = try openAIError(bad.body)
            #expect(bad.status == 400 && badError["param"] as? String == "starting_after")
        }
    }

    @Test("refusals are OpenAI-shaped: a built-in tool 400 naming it, an unknown previous_response_id 404, an unknown id 404, no key 401")
    func errorsInOpenAIShape() async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let tool = try await harness.send("/v1/responses", body: #"{"model":"m","input":"x","tools":[{"type":"file_search"}]}"#)
            #expect(tool.status == 400)
            let toolError = try openAIError(tool.body)
            #expect(toolError["type"] as? String == "invalid_request_error" && toolError["param"] as? String == "tools[0].type")
            #expect((toolError["message"] as? String)?.contains("file_search") == true)
            let previous = try await harness.send("/v1/responses", body: #"{"model":"m","input":"x","previous_response_id":"resp_nope"}"#)
            let previousError = try openAIError(previous.body)
            #expect(previous.status == 404 && previousError["param"] as? String == "previous_response_id")
            let unknown = try await harness.send("/v1/responses/resp_nope", method: .GET)
            let unknownError = try openAIError(unknown.body)
            #expect(unknown.status == 404 && unknownError["code"] as? String == "not_found")
            let deleted = try await harness.send("/v1/responses/resp_nope", method: .DELETE)
            #expect(deleted.status == 404)
            let anonymous = try await harness.send("/v1/responses", body: #"{"model":"m","input":"x"}"#, headers: [])
            let anonymousError = try openAIError(anonymous.body)
            #expect(anonymous.status == 401 && anonymousError["type"] as? String == "authentication_error")
            #expect(harness.sims[0].stats.received == 0)
        }
    }

    @Test("an Anthropic provider that fails over to a Gemini one: the client gets one whole response stream, attempts 2")
    func failover() async throws {
        var failing = DialectMatrixTests.sim(.anthropic)
        failing.errorRate = 1
        try await RouterHarness.run(
            sims: [failing, DialectMatrixTests.sim(.gemini)], yaml: { testYAML(ports: $0, dialects: ["anthropic", "gemini"]) }
        ) { harness in
            let response = try await harness.send("/v1/responses", body: Self.body)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-edge-provider") == "p1" && response.headers.first(name: "x-edge-attempts") == "2")
            let events = ssePayloads(response.body).compactMap(Self.object)
            #expect(events.first?["type"] as? String == "response.created" && events.last?["type"] as? String == "response.completed")
            let text = events.filter { $0["type"] as? String == "response.output_text.delta" }.compactMap { $0["delta"] as? String }.joined()
            #expect(text.hasPrefix(DialectMatrixTests.expectedText))
            #expect(events.map { $0["sequence_number"] as? Int } == Array(1...events.count))
        }
    }

    @Test("a provider that fails after the first token: the stream's open item is closed and response.failed ends it, its error naming the request id")
    func failedMidStream() async throws {
        var breaking = ChatStreamingTests.fastSim()
        breaking.streamErrorAfterTokens = 3
        try await RouterHarness.run(sims: [breaking], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.send("/v1/responses", body: Self.body)
            #expect(response.status == 200)
            let events = ssePayloads(response.body).compactMap(Self.object)
            let types = events.compactMap { $0["type"] as? String }
            #expect(types.last == "response.failed" && types.filter { $0 == "response.failed" }.count == 1, "\(types)")
            #expect(
                Array(types.suffix(4)) == ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.failed"],
                "\(types)")
            let failed = try #require(events.last?["response"] as? [String: Any])
            let id = try #require(response.headers.first(name: "x-edge-request-id"))
            #expect(failed["status"] as? String == "failed")
            #expect(((failed["error"] as? [String: Any])?["message"] as? String)?.contains(id) == true)
            #expect(events.map { $0["sequence_number"] as? Int } == Array(1...events.count))
        }
    }

    @Test("with a request log, stored responses survive a restart: GET and previous_response_id work in the next process, and a DELETE holds across the one after")
    func storedAcrossRestart() async throws {
        let log = try RequestRecordTests.logPath()
        let yaml: @Sendable ([Int]) -> String = { testYAML(ports: $0) + "\nlog: { path: \"\(log)\", batch_ms: 10 }\n" }
        let sims = [ChatStreamingTests.fastSim()]
        let made = try await RouterHarness.run(sims: sims, yaml: yaml) { harness in
            var made: [(id: String, body: String)] = []
            for _ in 0..<2 {
                let response = try await harness.send("/v1/responses", body: #"{"model":"m","input":"Say hello"}"#)
                #expect(response.status == 200)
                made.append((try #require(Self.object(response.body)?["id"] as? String), response.body))
            }
            return made
        }
        try await RouterHarness.run(sims: sims, yaml: yaml) { harness in
            let kept = try await harness.send("/v1/responses/\(made[0].id)", method: .GET)
            #expect(kept.status == 200 && kept.body == made[0].body)
            let next = try await harness.send(
                "/v1/responses", body: #"{"model":"m","input":"Again","previous_response_id":"\#(made[0].id)"}"#)
            #expect(next.status == 200 && Self.object(next.body)?["previous_response_id"] as? String == made[0].id)
            let deleted = try await harness.send("/v1/responses/\(made[1].id)", method: .DELETE)
            #expect(deleted.status == 200)
            let other = try await harness.send("/v1/responses/\(made[0].id)", method: .GET, headers: [("authorization", "Bearer nobody")])
            #expect(other.status == 401)
        }
        try await RouterHarness.run(sims: sims, yaml: yaml) { harness in
            let gone = try await harness.send("/v1/responses/\(made[1].id)", method: .GET)
            let kept = try await harness.send("/v1/responses/\(made[0].id)", method: .GET)
            #expect(gone.status == 404 && kept.status == 200)
        }
        let rows = try await SQLiteRequestStore(path: log).storedResponses(limit: 10)
        // The first response and the second turn built on it; the deleted one is gone from the table too.
        #expect(rows.count == 2 && rows.contains { $0.responseID == made[0].id } && !rows.contains { $0.responseID == made[1].id })
        #expect(rows.allSatisfy { $0.keyID == "client" })
    }

    @Test(
        "two routers sharing one request log: a response made through one is found through the other (GET, previous_response_id), and deleted through it"
    )
    func storedAcrossTheFleet() async throws {
        let log = try RequestRecordTests.logPath()
        let yaml: @Sendable ([Int]) -> String = { testYAML(ports: $0) + "\nlog: { path: \"\(log)\", batch_ms: 10 }\n" }
        let sims = [ChatStreamingTests.fastSim()]
        try await RouterHarness.run(sims: sims, yaml: yaml) { first in
            var responses: [(id: String, body: String)] = []
            for _ in 0..<2 {
                let response = try await first.send("/v1/responses", body: #"{"model":"m","input":"Say hello"}"#)
                #expect(response.status == 200)
                responses.append((try #require(Self.object(response.body)?["id"] as? String), response.body))
            }
            let made = responses
            // Saves reach the log in the background: wait (bounded) until both are there.
            let ids = made.map(\.id)
            let written = try await bounded(.seconds(10), "the responses written to the log") {
                let store = try SQLiteRequestStore(path: log)
                while try await store.storedResponses(limit: 10).filter({ ids.contains($0.responseID) }).count < 2 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                return true
            }
            #expect(written)
            // A second router, started after they were made: neither is in its memory.
            try await RouterHarness.run(sims: sims, yaml: yaml) { second in
                let found = try await second.send("/v1/responses/\(made[0].id)", method: .GET)
                #expect(found.status == 200 && found.body == made[0].body, "\(found.body)")
                let next = try await second.send(
                    "/v1/responses", body: #"{"model":"m","input":"Again","previous_response_id":"\#(made[0].id)"}"#)
                #expect(next.status == 200 && Self.object(next.body)?["previous_response_id"] as? String == made[0].id, "\(next.body)")
                let unknown = try await second.send(
                    "/v1/responses", body: #"{"model":"m","input":"Again","previous_response_id":"resp_nothing"}"#)
                #expect(unknown.status == 404, "\(unknown.body)")
                let deleted = try await second.send("/v1/responses/\(made[1].id)", method: .DELETE)
                #expect(deleted.status == 200, "\(deleted.body)")
                #expect(try await SQLiteRequestStore(path: log).storedResponse(id: made[1].id, keyID: "client") == nil)
                let again = try await second.send("/v1/responses/\(made[1].id)", method: .DELETE)
                #expect(again.status == 404)
            }
        }
    }

    @Test("the request log has one row per Responses request, its dialect 'responses' and endpoint /v1/responses, with tokens")
    func requestLogRow() async throws {
        let log = try RequestRecordTests.logPath()
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) + "\nlog: { path: \"\(log)\", batch_ms: 10 }\n" }
        ) { harness in
            let response = try await harness.send("/v1/responses", body: #"{"model":"m","input":"Say hello"}"#)
            #expect(response.status == 200)
            let id = try #require(response.headers.first(name: "x-edge-request-id"))
            #expect(Self.object(response.body)?["id"] as? String == "resp_\(id)")
        }
        let records = try await SQLiteRequestStore(path: log).requests(RequestQuery())
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.dialect == "responses" && record.endpoint == "/v1/responses" && record.status == 200 && record.model == "m")
        #expect(record.tokens.output > 0)
    }
}
