import Logging
import PostgresNIO

/// The sink's tables, built by versioned migrations recorded in `edge_schema_migrations`: the first node to
/// connect creates them, later ones (and later versions of the router) apply only what is missing. A migration is
/// never edited once released; a new one is added instead.
///
/// The columns are those of the SQLite log's `requests` table, with PostgreSQL's types, and `metadata` as `jsonb`
/// so that spend can be grouped by any of its fields.
enum PostgresSchema {
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "requests",
            statements: [
                """
                CREATE TABLE requests (
                    request_id TEXT PRIMARY KEY,
                    received_at_ms BIGINT NOT NULL,
                    key_id TEXT,
                    dialect TEXT NOT NULL,
                    endpoint TEXT NOT NULL,
                    model TEXT NOT NULL,
                    stream BOOLEAN NOT NULL,
                    provider TEXT,
                    upstream_model TEXT,
                    region TEXT,
                    attempts INTEGER NOT NULL,
                    failures TEXT NOT NULL,
                    hedged BOOLEAN NOT NULL,
                    route_reason TEXT,
                    ttft_ms DOUBLE PRECISION,
                    first_byte_ms DOUBLE PRECISION,
                    duration_ms DOUBLE PRECISION NOT NULL,
                    status INTEGER NOT NULL,
                    error_type TEXT,
                    input_tokens BIGINT NOT NULL,
                    output_tokens BIGINT NOT NULL,
                    cache_read_tokens BIGINT NOT NULL,
                    cache_write_tokens BIGINT NOT NULL,
                    reasoning_tokens BIGINT NOT NULL,
                    usage_estimated BOOLEAN NOT NULL,
                    cost_usd DOUBLE PRECISION NOT NULL,
                    country TEXT,
                    asn BIGINT,
                    metadata JSONB NOT NULL,
                    request_body TEXT,
                    response_body TEXT
                )
                """,
                "CREATE INDEX requests_by_time ON requests (received_at_ms)",
                "CREATE INDEX requests_by_key_and_time ON requests (key_id, received_at_ms)",
            ]),
        Migration(
            version: 2, name: "resumes",
            statements: ["ALTER TABLE requests ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0"]),
        Migration(
            version: 3, name: "cache",
            statements: [
                "ALTER TABLE requests ADD COLUMN cache_status TEXT",
                "ALTER TABLE requests ADD COLUMN cost_saved_usd DOUBLE PRECISION NOT NULL DEFAULT 0",
            ]),
        Migration(
            version: 4, name: "responses",
            statements: [
                """
                CREATE TABLE responses (
                    response_id TEXT PRIMARY KEY,
                    key_id TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    response TEXT NOT NULL,
                    conversation TEXT NOT NULL
                )
                """,
                "CREATE INDEX responses_by_time ON responses (created_at_ms)",
            ]),
    ]

    /// Any fixed number: the advisory lock that makes two nodes starting at once migrate one after the other.
    private static let migrationLock: Int64 = 0x6564_6765_6c6f_6721

    /// Applies the migrations this database lacks, in one transaction. Returns the versions applied now.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS edge_schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM edge_schema_migrations", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            var now: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO edge_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                now.append(migration.version)
            }
            return now
        }
    }
}
