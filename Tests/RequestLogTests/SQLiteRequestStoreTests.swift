import Foundation
import RequestLog
import Testing

@Suite("SQLite request store: schema, idempotent inserts, spend and request queries, retention")
struct SQLiteRequestStoreTests {
    @Test("a new file gets the schema; reopening it keeps the rows and migrates nothing twice")
    func createAndReopen() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("log.sqlite")
        do {
            let store = try SQLiteRequestStore(path: path)
            try await store.insert([Sample.record(id: "a")])
        }
        let reopened = try SQLiteRequestStore(path: path)
        #expect(try await reopened.count() == 1)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test("a batch written twice keeps one row per request id, and every field reads back as written")
    func idempotentInsert() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRequestStore(path: directory.path("log.sqlite"))
        let record = Sample.record(
            id: "r1", failures: [.init(provider: "p1", cause: "connect"), .init(provider: "p2", cause: "status_503")],
            metadata: #"{"team":"search","userId":12345,"beta":true}"#, body: "{\"model\":\"m\"}")
        try await store.insert([record, Sample.record(id: "r2")])
        try await store.insert([record])
        #expect(try await store.count() == 2)
        let read = try await store.requests(RequestQuery(limit: 10)).first { $0.requestID == "r1" }
        #expect(read == record)
    }

    @Test("spend groups by metadata fields and model, sums tokens and cost, and orders by cost")
    func spendByMetadataAndModel() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRequestStore(path: directory.path("log.sqlite"))
        try await store.insert([
            Sample.record(id: "1", model: "big", cost: 0.5, metadata: #"{"team":"search"}"#),
            Sample.record(id: "2", model: "big", cost: 0.25, metadata: #"{"team":"search"}"#),
            Sample.record(id: "3", model: "small", cost: 0.1, metadata: #"{"team":"search"}"#),
            Sample.record(id: "4", model: "big", cost: 1, metadata: #"{"team":"ads"}"#, status: 502, errorType: "all_providers_failed"),
            Sample.record(id: "5", model: "small", cost: 0.01, metadata: "{}"),
        ])
        let rows = try await store.spend(SpendQuery(groupBy: try SpendQuery.dimensions("metadata.team, model")))
        #expect(rows.map(\.group) == [["ads", "big"], ["search", "big"], ["search", "small"], [nil, "small"]])
        #expect(rows[1].requests == 2)
        #expect(abs(rows[1].costUSD - 0.75) < 1e-9)
        #expect(rows[1].tokens.input == 200 && rows[1].tokens.output == 100 && rows[1].tokens.cacheRead == 20)
        #expect(rows[0].errors == 1 && rows[1].errors == 0)
        let total = try await store.spend(SpendQuery())
        #expect(total.count == 1 && total[0].requests == 5)
    }

    @Test("metadata values group as their JSON text: numbers as digits, booleans as true and false")
    func metadataValuesAsText() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRequestStore(path: directory.path("log.sqlite"))
        try await store.insert([
            Sample.record(id: "1", metadata: #"{"userId":12345,"beta":true}"#),
            Sample.record(id: "2", metadata: #"{"userId":"12345","beta":false}"#),
        ])
        let byUser = try await store.spend(SpendQuery(groupBy: [.metadata("userId")]))
        #expect(byUser.map(\.group) == [["12345"]])
        #expect(byUser.first?.requests == 2)
        let byBeta = try await store.spend(SpendQuery(groupBy: [.metadata("beta")])).map(\.group)
        #expect(Set(byBeta.compactMap { $0.first ?? nil }) == ["true", "false"])
    }

    @Test("spend and requests keep to the time range and the key asked for")
    func timeRangeAndKey() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRequestStore(path: directory.path("log.sqlite"))
        try await store.insert([
            Sample.record(id: "old", at: 1_000, key: "k1"), Sample.record(id: "mid", at: 2_000, key: "k1"),
            Sample.record(id: "new", at: 3_000, key: "k2"),
        ])
        let ranged = try await store.spend(SpendQuery(groupBy: [.key], fromMs: 2_000, toMs: 3_000))
        #expect(ranged.map(\.group) == [["k1"]] && ranged.first?.requests == 1)
        let listed = try await store.requests(RequestQuery(keyID: "k1", limit: 10)).map(\.requestID)
        #expect(listed == ["mid", "old"])
        let costs = try await store.costByKey(sinceMs: 2_000)
        #expect(costs.keys.sorted() == ["k1", "k2"])
    }

    @Test("requests filter by outcome, provider and metadata value, newest first, at most the limit")
    func requestFilters() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRequestStore(path: directory.path("log.sqlite"))
        try await store.insert([
            Sample.record(id: "a", at: 1, metadata: #"{"userId":"u1"}"#),
            Sample.record(id: "b", at: 2, metadata: #"{"userId":"u1"}"#, status: 200, errorType: "stream_interrupted"),
            Sample.record(id: "c", at: 3, metadata: #"{"userId":"u2"}"#, status: 429, errorType: "rate_limited"),
            Sample.record(id: "d", at: 4, provider: "other", metadata: #"{"userId":"u1"}"#),
        ])
        let errors = try await store.requests(RequestQuery(outcome: .error)).map(\.requestID)
        #expect(errors == ["c", "b"])
        let user = try await store.requests(RequestQuery(metadata: [("userId", "u1")])).map(\.requestID)
        #expect(user == ["d", "b", "a"])
        let provider = try await store.requests(RequestQuery(provider: "other")).map(\.requestID)
        #expect(provider == ["d"])
        let limited = try await store.requests(RequestQuery(limit: 2)).map(\.requestID)
        #expect(limited == ["d", "c"])
    }

    @Test("retention deletes the records received before the cutoff and says how many")
    func retention() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRequestStore(path: directory.path("log.sqlite"))
        try await store.insert([Sample.record(id: "1", at: 10), Sample.record(id: "2", at: 20), Sample.record(id: "3", at: 30)])
        #expect(try await store.deleteRecords(receivedBefore: 25) == 2)
        #expect(try await store.count() == 1)
    }

    @Test("group_by refuses unknown dimensions, repeated ones, more than five and metadata names that are not plain")
    func groupByValidation() {
        #expect(throws: RequestLogError.self) { try SpendQuery.dimensions("cost") }
        #expect(throws: RequestLogError.self) { try SpendQuery.dimensions("model,model") }
        #expect(throws: RequestLogError.self) { try SpendQuery.dimensions("model,provider,key,dialect,status,day") }
        #expect(throws: RequestLogError.self) { try SpendQuery.dimensions(#"metadata.a"b"#) }
        #expect(throws: RequestLogError.self) { try SpendQuery.dimensions("metadata.") }
        #expect((try? SpendQuery.dimensions(" metadata.team , day ")) == [.metadata("team"), .day])
    }

    @Test("a path where no file can be made is a storage error naming the path")
    func unwritablePath() {
        #expect {
            _ = try SQLiteRequestStore(path: "/nonexistent-directory/log.sqlite")
        } throws: { error in
            (error as? RequestLogError)?.code == .storage && "\(error)".contains("/nonexistent-directory/log.sqlite")
        }
    }
}
