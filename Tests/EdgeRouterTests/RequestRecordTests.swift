import EdgeRouter
import Foundation
import ProviderSim
import RequestLog
import Testing

/// The request log as the router writes it: one row per client request with what it cost and who asked.
@Suite("Request log: one record per request, metadata, usage and cost", .serialized, .timeLimit(.minutes(3)))
struct RequestRecordTests {
    /// A log file in a directory of its own.
    static func logPath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edge-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("requests.sqlite").path
    }

    static func yaml(ports: [Int], log: String, keys: String = "", price: Bool = true) -> String {
        testYAML(ports: ports, extraKeys: keys)
            .replacingOccurrences(
                of: "model: upstream-0 }",
                with: price ? "model: upstream-0, price: { input_per_mtok: 2, output_per_mtok: 8, cached_input_per_mtok: 1 } }" : "model: upstream-0 }")
            .replacingOccurrences(
                of: "key: \(RouterHarness.clientKey)\n",
                with: "key: \(RouterHarness.clientKey)\n    metadata: { team: search, tier: 2 }\n")
            + "\nlog: { path: \"\(log)\", batch_ms: 10 }\nadmin_keys:\n  - { id: admin, key: admin-secret }\n"
    }

    /// The records of the log at `path`, newest first (read after the router stopped, so every record is in).
    static func records(_ path: String) async throws -> [RequestRecord] {
        try await SQLiteRequestStore(path: path).requests(RequestQuery(limit: 1000))
    }

    @Test("a request is on record once, after the router stopped: deployment, tokens from the provider's usage, cost from the prices, and metadata from the key, the body and the header in that order")
    func recordedWithMetadataUsageAndCost() async throws {
        let log = try Self.logPath()
        var settings = SimulatorSettings()
        settings.promptTokens = 1_000
        settings.answerTokens = 20
        settings.cachedPromptTokens = 400
        try await RouterHarness.run(sims: [settings], yaml: { Self.yaml(ports: $0, log: log) }) { harness in
            let response = try await harness.send(
                "/v1/chat/completions",
                body: RouterHarness.chatBody(model: "m", stream: true, extra: #","user":"u-7","metadata":{"team":"body-team","run":"r1"}"#),
                headers: [
                    ("authorization", "Bearer \(RouterHarness.clientKey)"),
                    ("x-edge-metadata", #"{"customer":"acme","tier":3,"beta":true}"#),
                ])
            #expect(response.status == 200)
        }
        let records = try await Self.records(log)
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.keyID == "client" && record.dialect == "openai" && record.endpoint == "/v1/chat/completions")
        #expect(record.model == "m" && record.stream && record.provider == "p0" && record.upstreamModel == "upstream-0")
        #expect(record.region == "region-0" && record.attempts == 1 && record.failures.isEmpty && !record.hedged)
        #expect(record.status == 200 && record.errorType == nil)
        #expect(record.tokens == .init(input: 1_000, output: 20, cacheRead: 400, cacheWrite: 0, reasoning: 0))
        #expect(!record.usageEstimated)
        // 600 uncached at $2, 400 cached at $1, 20 out at $8 per million.
        #expect(abs(record.costUSD - (600 * 2 + 400 * 1 + 20 * 8) / 1e6) < 1e-12)
        #expect((record.ttftMs ?? 0) > 0 && record.durationMs >= (record.ttftMs ?? 0))
        let metadata = try #require(
            try JSONSerialization.jsonObject(with: Data(record.metadataJSON.utf8)) as? [String: Any])
        #expect(metadata["team"] as? String == "body-team")  // the body's over the key's
        #expect(metadata["tier"] as? Int == 3)  // the header's over the key's
        #expect(metadata["customer"] as? String == "acme" && metadata["beta"] as? Bool == true)
        #expect(metadata["user"] as? String == "u-7" && metadata["run"] as? String == "r1")
        #expect(record.requestBody == nil && record.responseBody == nil)
    }

    @Test("a failover is recorded as two attempts with the first one's cause, answered by the second deployment")
    func failoverRecorded() async throws {
        let log = try Self.logPath()
        var failing = SimulatorSettings()
        failing.errorRate = 1
        failing.errorStatus = 503
        // Without prices, equal candidates go in configured order: p0 first.
        try await RouterHarness.run(sims: [failing, SimulatorSettings()], yaml: { Self.yaml(ports: $0, log: log, price: false) }) { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 200)
        }
        let record = try #require(try await Self.records(log).first)
        #expect(record.provider == "p1" && record.attempts == 2 && record.routeReason == "failover")
        #expect(record.failures == [.init(provider: "p0/upstream-0", cause: "status_503")])
    }

    @Test("a stream cut mid-way is recorded as interrupted with the delivered tokens, estimated and marked so")
    func cutStreamEstimated() async throws {
        let log = try Self.logPath()
        var cutting = SimulatorSettings()
        cutting.cutAfterTokens = 5
        try await RouterHarness.run(sims: [cutting], yaml: { Self.yaml(ports: $0, log: log) }) { harness in
            _ = try await harness.chat(model: "m", stream: true)
        }
        let record = try #require(try await Self.records(log).first)
        #expect(record.errorType == "stream_interrupted" && record.status == 200)
        #expect(record.usageEstimated)
        #expect(record.tokens.output >= 1 && record.tokens.output <= 10)
        #expect(record.tokens.input >= 1)
        #expect(record.costUSD > 0)
    }

    @Test("refused requests are on record too: a bad key with no key id, an unknown model with its status and error type")
    func refusalsRecorded() async throws {
        let log = try Self.logPath()
        try await RouterHarness.run(sims: [SimulatorSettings()], yaml: { Self.yaml(ports: $0, log: log) }) { harness in
            _ = try await harness.send("/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false), headers: [("authorization", "Bearer wrong-key")])
            _ = try await harness.chat(model: "nope", stream: false)
        }
        let records = try await Self.records(log)
        #expect(records.count == 2)
        #expect(records.contains { $0.status == 401 && $0.keyID == nil && $0.errorType == "invalid_api_key" })
        #expect(records.contains { $0.status == 404 && $0.keyID == "client" && $0.errorType == "model_not_found" && $0.provider == nil })
        #expect(records.allSatisfy { $0.costUSD == 0 && $0.tokens == .init() })
    }

    @Test("a key with log_bodies keeps the request body and the provider's frames, each cut at its cap")
    func bodiesForOptedInKeys() async throws {
        let log = try Self.logPath()
        let keys = """
              - id: auditor
                key: auditor-key-1
                log_bodies: { request_bytes: 40, response_bytes: 100000 }
            """
        try await RouterHarness.run(sims: [SimulatorSettings()], yaml: { Self.yaml(ports: $0, log: log, keys: keys) }) { harness in
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: true),
                headers: [("authorization", "Bearer auditor-key-1")])
            #expect(response.status == 200)
        }
        let record = try #require(try await Self.records(log).first)
        #expect(record.requestBody == String(RouterHarness.chatBody(model: "m", stream: true).prefix(40)))
        #expect(record.responseBody?.contains(#""choices""#) ?? false)
        #expect(!(record.requestBody ?? "").contains("auditor-key-1") && !(record.responseBody ?? "").contains("auditor-key-1"))
    }
}

/// The `x-edge-metadata` header's checks, in each client dialect.
@Suite("Request log: x-edge-metadata refusals", .timeLimit(.minutes(2)))
struct MetadataHeaderTests {
    static let refused: [(String, String)] = [
        ("not JSON", "{team: search}"),
        ("not an object", #"["a"]"#),
        ("a nested value", #"{"team":{"a":1}}"#),
        ("a null", #"{"team":null}"#),
        ("six fields", #"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}"#),
        ("a bad name", #"{"te am":"x"}"#),
        ("a long value", #"{"team":"\#(String(repeating: "x", count: 300))"}"#),
    ]

    @Test("a malformed or oversized x-edge-metadata is a 400 in the client's dialect naming the header, and nothing reaches the provider", arguments: DialectClient.allCases)
    func refusedInEachDialect(_ client: DialectClient) async throws {
        try await RouterHarness.run(sims: [SimulatorSettings()], yaml: { testYAML(ports: $0) }) { harness in
            for (name, header) in Self.refused {
                let request = client.request(model: "m", stream: false)
                let response = try await harness.send(request.path, body: request.body, headers: request.headers + [("x-edge-metadata", header)])
                #expect(response.status == 400, "\(name)")
                let error = client.error(response.body)
                #expect(error?.message.contains("x-edge-metadata") ?? false, "\(name): \(response.body)")
            }
            #expect(harness.sims[0].stats.received == 0)
        }
    }
}
