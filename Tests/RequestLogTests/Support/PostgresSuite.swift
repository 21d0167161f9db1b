// Shared by RequestLogTests and EdgeRouterTests through a symbolic link (test targets cannot share code but
// through a module), as Bounded.swift is.
import PostgresTestServer
import RequestLog
import Testing

/// A PostgreSQL server for the whole suite it marks, stopped and removed when the suite ends.
struct PostgresServerTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try PostgresTestServer()
        defer { server.shutdown() }
        try await PostgresTestServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == PostgresServerTrait {
    /// Starts a throwaway PostgreSQL server for the suite (``PostgresTestServer``).
    static var postgresServer: Self { .init() }
}

extension PostgresTestServer {
    /// The suite's server; a test outside a `.postgresServer` suite is a mistake.
    static func suiteServer() throws -> PostgresTestServer {
        try #require(current, "the suite needs the .postgresServer trait")
    }

    /// Settings for a new database of this server.
    func settings(database: String? = nil, statementTimeout: Duration = .seconds(5)) throws -> PostgresSettings {
        PostgresSettings(
            host: "127.0.0.1", port: port, database: try database ?? createDatabase(), user: user, password: password,
            tls: .disable, poolSize: 4, statementTimeout: statementTimeout, connectTimeout: .seconds(2))
    }
}

/// Runs `body` while `store`'s pool runs.
func withRunning<T: Sendable>(
    _ store: PostgresRequestStore, _ body: @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await store.run() }
        defer { group.cancelAll() }
        return try await body()
    }
}
