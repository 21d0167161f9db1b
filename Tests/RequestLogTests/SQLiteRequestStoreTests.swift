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
        try await StoreChecks.spendByMetadataAndModel(try SQLiteRequestStore(path: directory.path("log.sqlite")))
    }

    @Test("metadata values group as their JSON text: numbers as digits, booleans as true and false")
    func metadataValuesAsText() async throws {
        let directory = try TemporaryDirectory()
        try await StoreChecks.metadataValuesAsText(try SQLiteRequestStore(path: directory.path("log.sqlite")))
    }

    @Test("spend and requests keep to the time range and the key asked for")
    func timeRangeAndKey() async throws {
        let directory = try TemporaryDirectory()
        try await StoreChecks.timeRangeAndKey(try SQLiteRequestStore(path: directory.path("log.sqlite")))
    }

    @Test("requests filter by outcome, provider and metadata value, newest first, at most the limit")
    func requestFilters() async throws {
        let directory = try TemporaryDirectory()
        try await StoreChecks.requestFilters(try SQLiteRequestStore(path: directory.path("log.sqlite")))
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
