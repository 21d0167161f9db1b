import GRDB

/// The log's tables, built by versioned migrations: a file made by an older router is brought up to date when it
/// opens, and a migration is never edited once released (a new one is added instead).
enum RequestLogSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: requests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE requests (
                        request_id TEXT PRIMARY KEY NOT NULL,
                        received_at_ms INTEGER NOT NULL,
                        key_id TEXT,
                        dialect TEXT NOT NULL,
                        endpoint TEXT NOT NULL,
                        model TEXT NOT NULL,
                        stream INTEGER NOT NULL,
                        provider TEXT,
                        upstream_model TEXT,
                        region TEXT,
                        attempts INTEGER NOT NULL,
                        failures TEXT NOT NULL,
                        hedged INTEGER NOT NULL,
                        route_reason TEXT,
                        ttft_ms REAL,
                        first_byte_ms REAL,
                        duration_ms REAL NOT NULL,
                        status INTEGER NOT NULL,
                        error_type TEXT,
                        input_tokens INTEGER NOT NULL,
                        output_tokens INTEGER NOT NULL,
                        cache_read_tokens INTEGER NOT NULL,
                        cache_write_tokens INTEGER NOT NULL,
                        reasoning_tokens INTEGER NOT NULL,
                        usage_estimated INTEGER NOT NULL,
                        cost_usd REAL NOT NULL,
                        country TEXT,
                        asn INTEGER,
                        metadata TEXT NOT NULL,
                        request_body TEXT,
                        response_body TEXT
                    );
                    CREATE INDEX requests_by_time ON requests(received_at_ms);
                    CREATE INDEX requests_by_key_and_time ON requests(key_id, received_at_ms);
                    """)
        }
        migrator.registerMigration("v2: resumes") { db in
            try db.execute(sql: "ALTER TABLE requests ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0")
        }
        // Registered after the others (a migration is never edited once released): the response cache's columns.
        migrator.registerMigration("v3-cache") { db in
            try db.execute(sql: "ALTER TABLE requests ADD COLUMN cache_status TEXT")
            try db.execute(sql: "ALTER TABLE requests ADD COLUMN cost_saved_usd REAL NOT NULL DEFAULT 0")
        }
        // The Responses API's stored responses.
        migrator.registerMigration("v4-responses") { db in
            try db.execute(
                sql: """
                    CREATE TABLE responses (
                        response_id TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL,
                        created_at_ms INTEGER NOT NULL,
                        response TEXT NOT NULL,
                        conversation TEXT NOT NULL
                    );
                    CREATE INDEX responses_by_time ON responses(created_at_ms);
                    """)
        }
        return migrator
    }

    /// The columns in the order ``RequestRecord/databaseValues`` gives them.
    static let columns = [
        "request_id", "received_at_ms", "key_id", "dialect", "endpoint", "model", "stream", "provider", "upstream_model",
        "region", "attempts", "failures", "hedged", "route_reason", "ttft_ms", "first_byte_ms", "duration_ms", "status",
        "error_type", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
        "usage_estimated", "cost_usd", "country", "asn", "metadata", "resumes", "cache_status", "cost_saved_usd",
        "request_body", "response_body",
    ]

    static let insertSQL =
        "INSERT OR IGNORE INTO requests (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
}
