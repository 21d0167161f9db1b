import GRDB

/// The request log in a SQLite file, through GRDB: WAL mode (readers never wait for the writer), created with its
/// schema on first open and migrated on later ones.
///
/// `synchronous = NORMAL` in WAL mode makes each commit durable against a crash of the process (kill -9), which
/// is the failure the log is sized for; a power loss may lose the last commits.
public final class SQLiteRequestStore: RequestStore {
    private let pool: DatabasePool
    /// The file's path, for messages.
    public let path: String

    /// Opens (or creates) the log at `path` and brings its schema up to date.
    public init(path: String) throws(RequestLogError) {
        self.path = path
        var configuration = Configuration()
        configuration.label = "request-log"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try RequestLogSchema.migrator.migrate(pool)
        } catch {
            throw RequestLogError(.storage, "cannot open the request log at '\(path)': \(error)")
        }
    }

    public func insert(_ batch: [RequestRecord]) async throws(RequestLogError) {
        guard !batch.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(sql: RequestLogSchema.insertSQL)
            for record in batch {
                // The values match the statement's columns by construction (RequestLogSchema.columns).
                statement.setUncheckedArguments(StatementArguments(record.databaseValues))
                try statement.execute()
            }
        }
    }

    public func spend(_ query: SpendQuery) async throws(RequestLogError) -> [SpendRow] {
        var sql = SQLSelection()
        var selected: [String] = []
        for (index, dimension) in query.groupBy.enumerated() {
            selected.append("\(sql.expression(for: dimension)) AS g\(index)")
        }
        selected += [
            "COUNT(*) AS requests", "SUM(CASE WHEN error_type IS NULL AND status < 400 THEN 0 ELSE 1 END) AS errors",
            "SUM(input_tokens) AS input", "SUM(output_tokens) AS output", "SUM(cache_read_tokens) AS cache_read",
            "SUM(cache_write_tokens) AS cache_write", "SUM(reasoning_tokens) AS reasoning", "SUM(cost_usd) AS cost",
            "SUM(CASE WHEN cache_status = 'hit' THEN 1 ELSE 0 END) AS cache_hits", "SUM(cost_saved_usd) AS saved",
        ]
        var text = "SELECT \(selected.joined(separator: ", ")) FROM requests"
        sql.restrict(fromMs: query.fromMs, toMs: query.toMs)
        if let keyID = query.keyID { sql.condition("key_id = ?", keyID) }
        text += sql.whereClause
        if !query.groupBy.isEmpty {
            let groups = query.groupBy.indices.map { "g\($0)" }.joined(separator: ", ")
            text += " GROUP BY \(groups) ORDER BY cost DESC, \(groups)"
        }
        let finalSQL = text
        let arguments = StatementArguments(sql.arguments)
        let count = query.groupBy.count
        return try await read { db in
            try Row.fetchAll(db, sql: finalSQL, arguments: arguments).compactMap { row -> SpendRow? in
                let requests: Int = row["requests"] ?? 0
                guard requests > 0 else { return nil }  // no group: one row of NULL sums over no rows
                return SpendRow(
                    group: (0..<count).map { index in Self.text(row["g\(index)"]) },
                    requests: requests, errors: row["errors"] ?? 0,
                    tokens: RequestRecord.Tokens(
                        input: row["input"] ?? 0, output: row["output"] ?? 0, cacheRead: row["cache_read"] ?? 0,
                        cacheWrite: row["cache_write"] ?? 0, reasoning: row["reasoning"] ?? 0),
                    costUSD: row["cost"] ?? 0, cacheHits: row["cache_hits"] ?? 0, savedUSD: row["saved"] ?? 0)
            }
        }
    }

    public func requests(_ query: RequestQuery) async throws(RequestLogError) -> [RequestRecord] {
        var sql = SQLSelection()
        sql.restrict(fromMs: query.fromMs, toMs: query.toMs)
        if let keyID = query.keyID { sql.condition("key_id = ?", keyID) }
        if let model = query.model { sql.condition("model = ?", model) }
        if let provider = query.provider { sql.condition("provider = ?", provider) }
        switch query.outcome {
        case .ok: sql.condition("error_type IS NULL AND status < 400")
        case .error: sql.condition("(error_type IS NOT NULL OR status >= 400)")
        case nil: break
        }
        for (name, value) in query.metadata {
            let expression = sql.expression(for: .metadata(name))
            sql.condition("\(expression) = ?", value)
        }
        let text =
            "SELECT \(RequestLogSchema.columns.joined(separator: ", ")) FROM requests\(sql.whereClause) "
            + "ORDER BY received_at_ms DESC, request_id DESC LIMIT \(query.limit)"
        let arguments = StatementArguments(sql.arguments)
        return try await read { db in
            try Row.fetchAll(db, sql: text, arguments: arguments).map(RequestRecord.init(row:))
        }
    }

    public func costByKey(sinceMs: Int64) async throws(RequestLogError) -> [String: Double] {
        try await read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT key_id, SUM(cost_usd) AS cost FROM requests WHERE received_at_ms >= ? AND key_id IS NOT NULL GROUP BY key_id",
                arguments: [sinceMs])
            var costs: [String: Double] = [:]
            for row in rows {
                if let key: String = row["key_id"] { costs[key] = row["cost"] ?? 0 }
            }
            return costs
        }
    }

    public func addResume(requestID: String) async throws(RequestLogError) {
        try await write { db in
            try db.execute(sql: "UPDATE requests SET resumes = resumes + 1 WHERE request_id = ?", arguments: [requestID])
        }
    }

    public func deleteRecords(receivedBefore beforeMs: Int64) async throws(RequestLogError) -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM requests WHERE received_at_ms < ?", arguments: [beforeMs])
            let count = db.changesCount
            // Stored responses follow the requests' retention.
            try db.execute(sql: "DELETE FROM responses WHERE created_at_ms < ?", arguments: [beforeMs])
            return count
        }
    }

    public func saveResponse(_ response: StoredResponse) async throws(RequestLogError) {
        try await write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO responses (response_id, key_id, created_at_ms, response, conversation) VALUES (?, ?, ?, ?, ?)",
                arguments: [response.responseID, response.keyID, response.createdAtMs, response.response, response.conversation])
        }
    }

    @discardableResult
    public func deleteResponse(id: String, keyID: String) async throws(RequestLogError) -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM responses WHERE response_id = ? AND key_id = ?", arguments: [id, keyID])
            return db.changesCount > 0
        }
    }

    public func storedResponse(id: String, keyID: String) async throws(RequestLogError) -> StoredResponse? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM responses WHERE response_id = ? AND key_id = ?", arguments: [id, keyID]).map { row in
                StoredResponse(
                    responseID: row["response_id"], keyID: row["key_id"], createdAtMs: row["created_at_ms"], response: row["response"],
                    conversation: row["conversation"])
            }
        }
    }

    public func storedResponses(limit: Int) async throws(RequestLogError) -> [StoredResponse] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM responses ORDER BY created_at_ms DESC, rowid DESC LIMIT ?", arguments: [max(0, limit)]
            ).map { row in
                StoredResponse(
                    responseID: row["response_id"], keyID: row["key_id"], createdAtMs: row["created_at_ms"], response: row["response"],
                    conversation: row["conversation"])
            }
        }
    }

    /// How many records the file holds.
    public func count() async throws(RequestLogError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") ?? 0 }
    }

    // MARK: Access

    /// The spool's access (SQLiteRequestStore+Spool.swift).
    func readSpool<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(RequestLogError) -> T {
        try await read(body)
    }

    func writeSpool<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(RequestLogError) -> T {
        try await write(body)
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(RequestLogError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw RequestLogError(.storage, "reading the request log failed: \(error)")
        }
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(RequestLogError) -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw RequestLogError(.storage, "writing the request log failed: \(error)")
        }
    }

    /// A group's value as text: numbers and booleans as they read in JSON, NULL as nil.
    private static func text(_ value: DatabaseValue?) -> String? {
        guard let value else { return nil }
        switch value.storage {
        case .null: return nil
        case .int64(let number): return String(number)
        case .double(let number): return String(number)
        case .string(let text): return text
        case .blob(let data): return String(decoding: data, as: UTF8.self)
        }
    }
}

/// A WHERE clause and its arguments, built condition by condition; every value outside the SQL text is bound.
private struct SQLSelection {
    private var conditions: [String] = []
    private(set) var arguments: [(any DatabaseValueConvertible)?] = []

    mutating func condition(_ text: String, _ values: (any DatabaseValueConvertible)?...) {
        conditions.append(text)
        arguments += values
    }

    mutating func restrict(fromMs: Int64?, toMs: Int64?) {
        if let fromMs { condition("received_at_ms >= ?", fromMs) }
        if let toMs { condition("received_at_ms < ?", toMs) }
    }

    var whereClause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }

    /// The SQL expression of a dimension. A metadata field reads as its JSON text (`true`, `42`, `search`); its name
    /// was checked to be a plain identifier (``MetadataName``), so it may sit inside the JSON path.
    func expression(for dimension: SpendQuery.Dimension) -> String {
        switch dimension {
        case .model: "model"
        case .provider: "provider"
        case .upstreamModel: "upstream_model"
        case .key: "key_id"
        case .dialect: "dialect"
        case .status: "status"
        case .region: "region"
        case .country: "country"
        case .day: "strftime('%Y-%m-%d', received_at_ms / 1000, 'unixepoch')"
        case .metadata(let name):
            """
            (CASE json_type(metadata, '$."\(name)"') WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
            ELSE CAST(json_extract(metadata, '$."\(name)"') AS TEXT) END)
            """
        }
    }
}
