import PostgresNIO

/// The sink's queries, built to give what ``SQLiteRequestStore`` gives for the same question: groups as text
/// (numbers and booleans of metadata as their JSON text, `NULL` for a missing field), groups sorted by byte order
/// with missing values first (SQLite's order, hence `COLLATE "C"` and `NULLS FIRST`), the same tie-breaks.
enum PostgresSQL {
    /// The columns to select for a whole record; `metadata` as its JSON text.
    static let selectColumns = RequestLogSchema.columns.map { $0 == "metadata" ? "metadata::text AS metadata" : $0 }
        .joined(separator: ", ")

    static func spend(_ query: SpendQuery) -> PostgresQuery {
        var selection = PostgresSelection()
        var selected: [String] = []
        for (index, dimension) in query.groupBy.enumerated() {
            selected.append("(\(expression(for: dimension))) COLLATE \"C\" AS g\(index)")
        }
        selected += [
            "COUNT(*)::bigint AS requests",
            "SUM(CASE WHEN error_type IS NULL AND status < 400 THEN 0 ELSE 1 END)::bigint AS errors",
            "SUM(input_tokens)::bigint AS input", "SUM(output_tokens)::bigint AS output",
            "SUM(cache_read_tokens)::bigint AS cache_read", "SUM(cache_write_tokens)::bigint AS cache_write",
            "SUM(reasoning_tokens)::bigint AS reasoning", "SUM(cost_usd) AS cost",
            "SUM(CASE WHEN cache_status = 'hit' THEN 1 ELSE 0 END)::bigint AS cache_hits",
            "SUM(cost_saved_usd) AS saved",
        ]
        selection.restrict(fromMs: query.fromMs, toMs: query.toMs)
        if let keyID = query.keyID { selection.condition { "key_id = \($0.bind(keyID))" } }
        var text = "SELECT \(selected.joined(separator: ", ")) FROM requests\(selection.whereClause)"
        if !query.groupBy.isEmpty {
            let groups = query.groupBy.indices.map { "g\($0)" }
            text += " GROUP BY \(groups.joined(separator: ", ")) ORDER BY cost DESC, "
                + groups.map { "\($0) NULLS FIRST" }.joined(separator: ", ")
        }
        return PostgresQuery(unsafeSQL: text, binds: selection.bindings)
    }

    static func requests(_ query: RequestQuery) -> PostgresQuery {
        var selection = PostgresSelection()
        selection.restrict(fromMs: query.fromMs, toMs: query.toMs)
        if let keyID = query.keyID { selection.condition { "key_id = \($0.bind(keyID))" } }
        if let model = query.model { selection.condition { "model = \($0.bind(model))" } }
        if let provider = query.provider { selection.condition { "provider = \($0.bind(provider))" } }
        switch query.outcome {
        case .ok: selection.condition { _ in "error_type IS NULL AND status < 400" }
        case .error: selection.condition { _ in "(error_type IS NOT NULL OR status >= 400)" }
        case nil: break
        }
        for (name, value) in query.metadata {
            // A name that is not a plain identifier matches nothing, rather than entering the SQL text.
            guard MetadataName.isValid(name) else {
                selection.condition { _ in "FALSE" }
                continue
            }
            selection.condition { "(\(expression(for: .metadata(name)))) = \($0.bind(value))" }
        }
        let text =
            "SELECT \(selectColumns) FROM requests\(selection.whereClause) "
            + "ORDER BY received_at_ms DESC, request_id COLLATE \"C\" DESC LIMIT \(query.limit)"
        return PostgresQuery(unsafeSQL: text, binds: selection.bindings)
    }

    /// The SQL expression of a dimension, as text. A metadata field reads as its JSON text (`true`, `42`,
    /// `search`) through `->>`; its name was checked to be a plain identifier (``MetadataName``), so it may sit in
    /// the SQL text between quotes.
    static func expression(for dimension: SpendQuery.Dimension) -> String {
        switch dimension {
        case .model: "model"
        case .provider: "provider"
        case .upstreamModel: "upstream_model"
        case .key: "key_id"
        case .dialect: "dialect"
        case .status: "status::text"
        case .region: "region"
        case .country: "country"
        case .day: "to_char(to_timestamp(received_at_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        case .metadata(let name): "metadata ->> '\(MetadataName.isValid(name) ? name : "")'"
        }
    }
}

/// A WHERE clause and its bound values, condition by condition.
struct PostgresSelection {
    private var conditions: [String] = []
    private(set) var bindings = PostgresBindings()

    /// Binds `value` and returns its placeholder (`$3`).
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        bindings.append(value)
        return "$\(bindings.count)"
    }

    mutating func condition(_ make: (inout PostgresSelection) -> String) {
        let text = make(&self)
        conditions.append(text)
    }

    mutating func restrict(fromMs: Int64?, toMs: Int64?) {
        if let fromMs { condition { "received_at_ms >= \($0.bind(fromMs))" } }
        if let toMs { condition { "received_at_ms < \($0.bind(toMs))" } }
    }

    var whereClause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }
}
