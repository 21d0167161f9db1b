import Foundation
import PostgresTestServer
import RequestLog
import Testing

@Suite(
    "PostgreSQL request store: schema, idempotent inserts, the SQLite store's answers", .postgresServer,
    .enabled(if: PostgresTestServer.isAvailable), .timeLimit(.minutes(3)))
struct PostgresRequestStoreTests {
    @Test("a new database gets the schema with migrations 1 to 4 recorded once; a second store on it (a restart, or another node) sees the rows and migrates nothing again")
    func createAndReopen() async throws {
        let settings = try PostgresTestServer.suiteServer().settings()
        let first = PostgresRequestStore(settings: settings, logger: quietLogger)
        try await withRunning(first) {
            try await first.insert([Sample.record(id: "a")])
        }
        let second = PostgresRequestStore(settings: settings, logger: quietLogger)
        try await withRunning(second) {
            try await second.migrate()
            #expect(try await second.count() == 1)
            #expect(try await second.migrationVersions() == [1, 2, 3, 4])
        }
    }

    @Test("a batch written twice keeps one row per request id, and every field reads back as written (metadata as equal JSON)")
    func idempotentInsert() async throws {
        let store = PostgresRequestStore(settings: try PostgresTestServer.suiteServer().settings(), logger: quietLogger)
        let record = Sample.record(
            id: "r1", failures: [.init(provider: "p1", cause: "connect"), .init(provider: "p2", cause: "status_503")],
            metadata: #"{"team":"search","userId":12345,"beta":true}"#, body: "{\"model\":\"m\"}")
        try await withRunning(store) {
            try await store.insert([record, Sample.record(id: "r2")])
            try await store.insert([record])
            #expect(try await store.count() == 2)
            let read = try #require(try await store.requests(RequestQuery(limit: 10)).first { $0.requestID == "r1" })
            #expect(Parity.normalized(read) == Parity.normalized(record))
        }
    }

    @Test("a batch larger than one INSERT statement holds (2,500 rows in one transaction) and lands whole")
    func largeBatch() async throws {
        let store = PostgresRequestStore(settings: try PostgresTestServer.suiteServer().settings(), logger: quietLogger)
        try await withRunning(store) {
            try await store.insert((0..<2_500).map { Sample.record(id: "big-\($0)", at: Int64($0)) })
            #expect(try await store.count() == 2_500)
            #expect(Set(try await store.allRequestIDs()).count == 2_500)
        }
    }

    @Test(
        "spend and requests answer exactly as the SQLite store does on the same records",
        arguments: Parity.spendQueries.indices)
    func spendParity(_ index: Int) async throws {
        let store = PostgresRequestStore(settings: try PostgresTestServer.suiteServer().settings(), logger: quietLogger)
        let directory = try TemporaryDirectory()
        let sqlite = try SQLiteRequestStore(path: directory.path("log.sqlite"))
        try await withRunning(store) {
            try await store.insert(Parity.records)
            try await sqlite.insert(Parity.records)
            let query = Parity.spendQueries[index]
            let expected = try await sqlite.spend(query)
            let actual = try await store.spend(query)
            #expect(expected.count > 0)
            #expect(actual.map(\.group) == expected.map(\.group))
            #expect(actual.map(\.requests) == expected.map(\.requests) && actual.map(\.errors) == expected.map(\.errors))
            #expect(actual.map(\.tokens) == expected.map(\.tokens))
            #expect(zip(actual, expected).allSatisfy { abs($0.costUSD - $1.costUSD) < 1e-9 })
        }
    }

    @Test("requests, cost per key and retention answer exactly as the SQLite store does on the same records", arguments: Parity.requestQueries.indices)
    func requestParity(_ index: Int) async throws {
        let store = PostgresRequestStore(settings: try PostgresTestServer.suiteServer().settings(), logger: quietLogger)
        let directory = try TemporaryDirectory()
        let sqlite = try SQLiteRequestStore(path: directory.path("log.sqlite"))
        try await withRunning(store) {
            try await store.insert(Parity.records)
            try await sqlite.insert(Parity.records)
            let query = Parity.requestQueries[index]
            let expected = try await sqlite.requests(query).map(Parity.normalized)
            let actual = try await store.requests(query).map(Parity.normalized)
            #expect(actual == expected)
            let since: Int64 = 2_000
            let expectedCosts = try await sqlite.costByKey(sinceMs: since)
            let actualCosts = try await store.costByKey(sinceMs: since)
            #expect(actualCosts.keys.sorted() == expectedCosts.keys.sorted())
            #expect(actualCosts.allSatisfy { abs($0.value - (expectedCosts[$0.key] ?? -1)) < 1e-9 })
            #expect(try await store.deleteRecords(receivedBefore: 3) == (try await sqlite.deleteRecords(receivedBefore: 3)))
            #expect(try await store.count() == (try await sqlite.count()))
        }
    }

    @Test("the SQLite store's own assertions hold on PostgreSQL: spend by metadata and model, metadata values as JSON text, ranges and keys, filters")
    func sqliteAssertionsOnPostgres() async throws {
        let server = try PostgresTestServer.suiteServer()
        for check in StoreChecks.all {
            let store = PostgresRequestStore(settings: try server.settings(), logger: quietLogger)
            try await withRunning(store) { try await check(store) }
        }
    }

    @Test("a wrong password is a storage error naming the database, without the password")
    func wrongPassword() async throws {
        var settings = try PostgresTestServer.suiteServer().settings(statementTimeout: .seconds(1))
        settings.password = "wrong-password-\(UUID().uuidString)"
        let store = PostgresRequestStore(settings: settings, logger: quietLogger)
        let secret = settings.password ?? ""
        let target = "\(settings.host):\(settings.port)/\(settings.database)"
        try await withRunning(store) {
            do {
                _ = try await store.count()
                Issue.record("a wrong password was accepted")
            } catch let error as RequestLogError {
                #expect(error.code == .storage)
                #expect(error.message.contains(target))
                #expect(!error.message.contains(secret) && !"\(error)".contains(secret))
            }
        }
    }
}
