import Logging
import PostgresTestServer
import RequestLog
import Testing

// The same trait as RequestLogTests' (test targets cannot share code but through a module).

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

extension PostgresTestServer {
    /// The `log:` section of a router writing to `database` on this server, with `path` as its spool; the password
    /// comes from `${EDGE_TEST_PG_PASSWORD}` (pass ``environment``).
    func logYAML(database: String, spool path: String, extra: String = "") -> String {
        """

        log:
          path: "\(path)"
          sink: postgres
          batch_ms: 10
        \(extra)
          postgres:
            host: 127.0.0.1
            port: \(port)
            database: \(database)
            user: \(user)
            password: "${EDGE_TEST_PG_PASSWORD}"
            timeout_ms: 1000
        """
    }

    var environment: [String: String] { ["EDGE_TEST_PG_PASSWORD": password] }
}
