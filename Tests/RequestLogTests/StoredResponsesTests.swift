import Foundation
import PostgresTestServer
import RequestLog
import Testing

/// The Responses API's stored responses in each store: the same checks on SQLite and PostgreSQL.
enum StoredResponseChecks {
    static func response(_ id: String, key: String = "k", at ms: Int64) -> StoredResponse {
        StoredResponse(responseID: id, keyID: key, createdAtMs: ms, response: #"{"id":"\#(id)"}"#, conversation: #"{"model":"stored","messages":[]}"#)
    }

    /// Saves, replaces, lists newest first with a limit, finds one by id only with the right key, deletes only with
    /// the right key (saying whether it did), and retention deletes the responses created before its time.
    static func check(_ store: any RequestStore) async throws {
        try await store.saveResponse(response("r1", at: 1_000))
        try await store.saveResponse(response("r2", at: 2_000))
        try await store.saveResponse(response("r3", key: "other", at: 3_000))
        var replaced = response("r2", at: 2_500)
        replaced.response = #"{"id":"r2","v":2}"#
        try await store.saveResponse(replaced)
        #expect(try await store.storedResponses(limit: 10).map(\.responseID) == ["r3", "r2", "r1"])
        #expect(try await store.storedResponses(limit: 2).map(\.responseID) == ["r3", "r2"])
        #expect(try await store.storedResponses(limit: 10).first { $0.responseID == "r2" } == replaced)
        #expect(try await store.storedResponse(id: "r2", keyID: "k") == replaced)
        #expect(try await store.storedResponse(id: "r2", keyID: "other") == nil)
        #expect(try await store.storedResponse(id: "nope", keyID: "k") == nil)
        #expect(try await !store.deleteResponse(id: "r3", keyID: "k"))
        #expect(try await store.storedResponses(limit: 10).count == 3)
        #expect(try await store.deleteResponse(id: "r3", keyID: "other"))
        #expect(try await !store.deleteResponse(id: "r3", keyID: "other"))
        #expect(try await store.storedResponses(limit: 10).map(\.responseID) == ["r2", "r1"])
        _ = try await store.deleteRecords(receivedBefore: 2_000)
        #expect(try await store.storedResponses(limit: 10).map(\.responseID) == ["r2"])
    }
}

@Suite("Stored responses in the SQLite log", .timeLimit(.minutes(1)))
struct SQLiteStoredResponsesTests {
    @Test("save, replace, newest first with a limit, find and delete by key, retention; a reopened file keeps them (migration v4-responses)")
    func sqlite() async throws {
        let directory = try TemporaryDirectory()
        try await StoredResponseChecks.check(try SQLiteRequestStore(path: directory.path("log.sqlite")))
        #expect(try await SQLiteRequestStore(path: directory.path("log.sqlite")).storedResponses(limit: 10).map(\.responseID) == ["r2"])
    }
}

@Suite(
    "Stored responses in PostgreSQL", .postgresServer, .enabled(if: PostgresTestServer.isAvailable), .timeLimit(.minutes(2)))
struct PostgresStoredResponsesTests {
    @Test("save, replace, newest first with a limit, find and delete by key, retention (migration 4)")
    func postgres() async throws {
        let store = PostgresRequestStore(settings: try PostgresTestServer.suiteServer().settings(), logger: quietLogger)
        try await withRunning(store) {
            try await StoredResponseChecks.check(store)
        }
    }
}
