import Logging
import PostgresNIO
import Synchronization

/// The request log in PostgreSQL, shared by every node of a fleet (`log.sink: postgres`), through postgres-nio's
/// connection pool.
///
/// ``run()`` must run for as long as the store is used (it runs the pool; the router runs it next to the log's
/// writer). The schema is created, or brought up to date, on the first statement after the database answers
/// (``PostgresSchema``). Every value is a bound parameter; only metadata field names, checked to be plain
/// identifiers (``MetadataName``), and numbers of the store's own appear in the SQL text.
///
/// Each call gives up after ``PostgresSettings/statementTimeout`` with a ``RequestLogError/Code/storage`` error,
/// whether the database refused, is unreachable, or went silent: ``SpoolingRequestStore`` then keeps the batch.
public final class PostgresRequestStore: RequestStore {
    public let settings: PostgresSettings
    private let client: PostgresClient
    private let logger: Logger
    /// Whether this process has checked the schema: the check runs again until it has succeeded once.
    private let migrated = Atomic<Bool>(false)

    /// Rows per INSERT statement: 31 bound values each, within PostgreSQL's 65,535 parameters per statement.
    static let rowsPerStatement = 1_000

    public init(settings: PostgresSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: Self.tls(settings.tls))
        configuration.options.maximumConnections = settings.poolSize
        configuration.options.connectTimeout = settings.connectTimeout
        // The server ends a statement that runs past the store's own deadline, so an abandoned one frees its
        // connection instead of holding it.
        let statementMs = Int(settings.statementTimeout.components.seconds * 1000)
            + Int(settings.statementTimeout.components.attoseconds / 1_000_000_000_000_000)
        configuration.options.additionalStartupParameters = [("statement_timeout", String(max(1, statementMs)))]
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    private static func tls(_ mode: PostgresSettings.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .require: .require(.makeClientConfiguration())
        }
    }

    /// Runs the connection pool until the task is cancelled. Call it once per store: a pool is not restarted.
    public func run() async {
        await client.run()
    }

    // MARK: RequestStore

    public func insert(_ batch: [RequestRecord]) async throws(RequestLogError) {
        guard !batch.isEmpty else { return }
        let logger = self.logger
        try await perform("writing") { client in
            try await client.withTransaction(logger: logger) { connection in
                var start = 0
                while start < batch.count {
                    let end = min(start + Self.rowsPerStatement, batch.count)
                    try await connection.query(Self.insertQuery(batch[start..<end]), logger: logger)
                    start = end
                }
            }
        }
    }

    public func spend(_ query: SpendQuery) async throws(RequestLogError) -> [SpendRow] {
        let statement = PostgresSQL.spend(query)
        let count = query.groupBy.count
        let logger = self.logger
        return try await perform("reading") { client in
            var rows: [SpendRow] = []
            for try await row in try await client.query(statement, logger: logger) {
                let cells = row.makeRandomAccess()
                let requests = try cells["requests"].decode(Int.self, context: .default)
                guard requests > 0 else { continue }  // no group: one row of NULL sums over no rows
                func sum(_ name: String) throws -> Int { try cells[name].decode(Int?.self, context: .default) ?? 0 }
                rows.append(
                    SpendRow(
                        group: try (0..<count).map { try cells["g\($0)"].decode(String?.self, context: .default) },
                        requests: requests, errors: try sum("errors"),
                        tokens: RequestRecord.Tokens(
                            input: try sum("input"), output: try sum("output"), cacheRead: try sum("cache_read"),
                            cacheWrite: try sum("cache_write"), reasoning: try sum("reasoning")),
                        costUSD: try cells["cost"].decode(Double?.self, context: .default) ?? 0, cacheHits: try sum("cache_hits"),
                        savedUSD: try cells["saved"].decode(Double?.self, context: .default) ?? 0))
            }
            return rows
        }
    }

    public func requests(_ query: RequestQuery) async throws(RequestLogError) -> [RequestRecord] {
        let statement = PostgresSQL.requests(query)
        let logger = self.logger
        return try await perform("reading") { client in
            var records: [RequestRecord] = []
            for try await row in try await client.query(statement, logger: logger) {
                records.append(try RequestRecord(postgresRow: row))
            }
            return records
        }
    }

    public func costByKey(sinceMs: Int64) async throws(RequestLogError) -> [String: Double] {
        let logger = self.logger
        return try await perform("reading") { client in
            var costs: [String: Double] = [:]
            let rows = try await client.query(
                """
                SELECT key_id, SUM(cost_usd) AS cost FROM requests WHERE received_at_ms >= \(sinceMs) AND key_id IS NOT NULL \
                GROUP BY key_id
                """, logger: logger)
            for try await (key, cost) in rows.decode((String, Double?).self) { costs[key] = cost ?? 0 }
            return costs
        }
    }

    public func addResume(requestID: String) async throws(RequestLogError) {
        let logger = self.logger
        try await perform("writing to") { client in
            _ = try await client.query("UPDATE requests SET resumes = resumes + 1 WHERE request_id = \(requestID)", logger: logger)
        }
    }

    public func deleteRecords(receivedBefore beforeMs: Int64) async throws(RequestLogError) -> Int {
        let logger = self.logger
        return try await perform("deleting from") { client in
            let rows = try await client.query(
                "WITH deleted AS (DELETE FROM requests WHERE received_at_ms < \(beforeMs) RETURNING 1) SELECT COUNT(*) FROM deleted",
                logger: logger)
            var deleted = 0
            for try await count in rows.decode(Int.self) { deleted = count }
            // Stored responses follow the requests' retention.
            _ = try await client.query("DELETE FROM responses WHERE created_at_ms < \(beforeMs)", logger: logger)
            return deleted
        }
    }

    public func saveResponse(_ response: StoredResponse) async throws(RequestLogError) {
        let logger = self.logger
        try await perform("writing to") { client in
            _ = try await client.query(
                """
                INSERT INTO responses (response_id, key_id, created_at_ms, response, conversation)
                VALUES (\(response.responseID), \(response.keyID), \(response.createdAtMs), \(response.response), \(response.conversation))
                ON CONFLICT (response_id) DO UPDATE SET key_id = EXCLUDED.key_id, created_at_ms = EXCLUDED.created_at_ms,
                    response = EXCLUDED.response, conversation = EXCLUDED.conversation
                """, logger: logger)
        }
    }

    @discardableResult
    public func deleteResponse(id: String, keyID: String) async throws(RequestLogError) -> Bool {
        let logger = self.logger
        return try await perform("deleting from") { client in
            let rows = try await client.query(
                "DELETE FROM responses WHERE response_id = \(id) AND key_id = \(keyID) RETURNING response_id", logger: logger)
            var deleted = false
            for try await _ in rows.decode(String.self) { deleted = true }
            return deleted
        }
    }

    public func storedResponse(id: String, keyID: String) async throws(RequestLogError) -> StoredResponse? {
        let logger = self.logger
        return try await perform("reading") { client in
            let rows = try await client.query(
                """
                SELECT response_id, key_id, created_at_ms, response, conversation FROM responses
                WHERE response_id = \(id) AND key_id = \(keyID)
                """, logger: logger)
            var found: StoredResponse?
            for try await (id, key, created, response, conversation) in rows.decode((String, String, Int64, String, String).self) {
                found = StoredResponse(responseID: id, keyID: key, createdAtMs: created, response: response, conversation: conversation)
            }
            return found
        }
    }

    public func storedResponses(limit: Int) async throws(RequestLogError) -> [StoredResponse] {
        let logger = self.logger
        let limit = max(0, limit)
        return try await perform("reading") { client in
            let rows = try await client.query(
                "SELECT response_id, key_id, created_at_ms, response, conversation FROM responses ORDER BY created_at_ms DESC LIMIT \(limit)",
                logger: logger)
            var found: [StoredResponse] = []
            for try await (id, key, created, response, conversation) in rows.decode((String, String, Int64, String, String).self) {
                found.append(StoredResponse(responseID: id, keyID: key, createdAtMs: created, response: response, conversation: conversation))
            }
            return found
        }
    }

    /// How many records the database holds.
    public func count() async throws(RequestLogError) -> Int {
        let logger = self.logger
        return try await perform("reading") { client in
            var count = 0
            for try await value in try await client.query("SELECT COUNT(*) FROM requests", logger: logger).decode(Int.self) {
                count = value
            }
            return count
        }
    }

    /// Every request id on record, for checks of loss and duplicates.
    public func allRequestIDs() async throws(RequestLogError) -> [String] {
        let logger = self.logger
        return try await perform("reading") { client in
            var ids: [String] = []
            for try await id in try await client.query("SELECT request_id FROM requests", logger: logger).decode(String.self) {
                ids.append(id)
            }
            return ids
        }
    }

    /// The schema versions applied to this database, in order.
    public func migrationVersions() async throws(RequestLogError) -> [Int] {
        let logger = self.logger
        return try await perform("reading") { client in
            var versions: [Int] = []
            let rows = try await client.query("SELECT version FROM edge_schema_migrations ORDER BY version", logger: logger)
            for try await version in rows.decode(Int.self) { versions.append(version) }
            return versions
        }
    }

    /// Creates the schema, or brings it up to date, now rather than on the first statement.
    public func migrate() async throws(RequestLogError) {
        try await perform("migrating") { _ in }
    }

    // MARK: Access

    /// Runs `body` against the pool, after the schema check, within the statement deadline; any failure is a
    /// storage error naming the database (never its password) and what went wrong.
    private func perform<T: Sendable>(
        _ action: String, _ body: @escaping @Sendable (PostgresClient) async throws -> T
    ) async throws(RequestLogError) -> T {
        let client = self.client
        let logger = self.logger
        let needsSchema = !migrated.load(ordering: .acquiring)
        let outcome: T?
        do {
            outcome = try await Deadline.run(settings.statementTimeout) {
                if needsSchema {
                    let applied = try await PostgresSchema.migrate(client, logger: logger)
                    if !applied.isEmpty { logger.info("request log: PostgreSQL schema migrated", metadata: ["versions": "\(applied)"]) }
                }
                return try await body(client)
            }
        } catch {
            throw RequestLogError(.storage, "\(action) the request log in PostgreSQL (\(settings)) failed: \(PostgresErrorText.describe(error))")
        }
        guard let outcome else {
            throw RequestLogError(
                .storage, "\(action) the request log in PostgreSQL (\(settings)) did not finish within \(settings.statementTimeout)")
        }
        if needsSchema { migrated.store(true, ordering: .releasing) }
        return outcome
    }

    private static func insertQuery(_ records: ArraySlice<RequestRecord>) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: records.count * RequestLogSchema.columns.count)
        var rows: [String] = []
        rows.reserveCapacity(records.count)
        for record in records {
            let first = bindings.count + 1
            record.appendValues(to: &bindings)
            let placeholders = RequestLogSchema.columns.indices.map { index in
                RequestLogSchema.columns[index] == "metadata" ? "$\(first + index)::jsonb" : "$\(first + index)"
            }
            rows.append("(\(placeholders.joined(separator: ", ")))")
        }
        return PostgresQuery(
            unsafeSQL: "INSERT INTO requests (\(RequestLogSchema.columns.joined(separator: ", "))) VALUES "
                + rows.joined(separator: ", ") + " ON CONFLICT (request_id) DO NOTHING",
            binds: bindings)
    }
}
