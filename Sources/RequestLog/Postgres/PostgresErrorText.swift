import PostgresNIO

/// What went wrong with PostgreSQL, in words safe for a log line: PSQLError's own description is a generic
/// placeholder (it refuses to risk leaking a query's values), so the code, the server's message and the underlying
/// network error are picked out; never the query, its values, or the connection's password.
enum PostgresErrorText {
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            var parts = [error.code.description]
            if let message = error.serverInfo?[.message] { parts.append(message) }
            if let state = error.serverInfo?[.sqlState] { parts.append("SQLSTATE \(state)") }
            if let underlying = error.underlying { parts.append(describe(underlying)) }
            return parts.joined(separator: ": ")
        }
        if let error = error as? RequestLogError { return error.message }
        if error is CancellationError { return "cancelled" }
        return String(describing: type(of: error)) + ": \(error)"
    }
}
