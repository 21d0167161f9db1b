import Foundation
import RequestLog
import RoutingCore

/// The questions `GET /admin/spend`, `GET /admin/requests` and `edge-router spend` ask of the request log, read
/// from their text parameters, and the answers as JSON or a table.
public enum SpendReport {
    /// A spend query from `group_by`, `from`, `to` and `key` as written (see ``timeBound(_:now:)``).
    public static func spendQuery(
        groupBy: String?, from: String?, to: String?, key: String?, nowMs: Int64 = UnixTime.nowMs()
    ) throws(EdgeRouterError) -> SpendQuery {
        let dimensions: [SpendQuery.Dimension]
        do {
            dimensions = try groupBy.map { text throws(RequestLogError) in try SpendQuery.dimensions(text) } ?? []
        } catch {
            throw EdgeRouterError(.invalidRequest, error.message, param: "group_by")
        }
        var query = SpendQuery(groupBy: dimensions, keyID: key)
        if let from { query.fromMs = try timeBound(from, param: "from", nowMs: nowMs) }
        if let to { query.toMs = try timeBound(to, param: "to", nowMs: nowMs) }
        return query
    }

    /// A request listing from query parameters: `key`, `model`, `provider`, `status` (`ok` or `error`),
    /// `metadata.<name>=<value>`, `from`, `to`, `limit` (1 to 1000, default 100).
    public static func requestQuery(_ parameters: [(name: String, value: String)], nowMs: Int64 = UnixTime.nowMs()) throws(EdgeRouterError)
        -> RequestQuery
    {
        var query = RequestQuery()
        for (name, value) in parameters {
            switch name {
            case "key": query.keyID = value
            case "model": query.model = value
            case "provider": query.provider = value
            case "status":
                guard let outcome = RequestQuery.Outcome(rawValue: value) else {
                    throw EdgeRouterError(.invalidRequest, "status must be 'ok' or 'error'.", param: "status")
                }
                query.outcome = outcome
            case "from": query.fromMs = try timeBound(value, param: "from", nowMs: nowMs)
            case "to": query.toMs = try timeBound(value, param: "to", nowMs: nowMs)
            case "limit":
                guard let limit = Int(value), (1...1000).contains(limit) else {
                    throw EdgeRouterError(.invalidRequest, "limit must be a whole number from 1 to 1000.", param: "limit")
                }
                query.limit = limit
            default:
                guard name.hasPrefix("metadata."), MetadataName.isValid(name.dropFirst("metadata.".count)) else {
                    throw EdgeRouterError(
                        .invalidRequest,
                        "unknown parameter '\(EchoedInput.quoted(name))' (known: key, model, provider, status, from, to, limit, metadata.<name>)",
                        param: name)
                }
                query.metadata.append((String(name.dropFirst("metadata.".count)), value))
            }
        }
        return query
    }

    /// A time as Unix milliseconds: an ISO 8601 date (`2026-12-04`) or date-time (`2026-12-04T10:00:00Z`), or a
    /// span back from now (`90m`, `24h`, `7d`).
    public static func timeBound(_ text: String, param: String, nowMs: Int64) throws(EdgeRouterError) -> Int64 {
        if let unit = text.last, let count = Int64(text.dropLast()), count >= 0, count <= 36_500 * 24 * 60 {
            let unitMs: Int64? =
                switch unit {
                case "m": 60_000
                case "h": 3_600_000
                case "d": 86_400_000
                default: nil
                }
            if let unitMs { return nowMs - count * unitMs }
        }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate],
        ] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) {
                let ms = (date.timeIntervalSince1970 * 1000).rounded()
                guard ms.isFinite, abs(ms) < 1e15 else { break }
                return Int64(ms)
            }
        }
        throw EdgeRouterError(
            .invalidRequest,
            "\(param) must be an ISO 8601 date or date-time, or a span back from now such as 90m, 24h or 7d; got '\(EchoedInput.quoted(text))'.",
            param: param)
    }

    // MARK: Answers

    /// The spend rows as JSON: each group's dimensions by name, then its totals; and the totals of all groups.
    public static func json(_ rows: [SpendRow], query: SpendQuery) -> [String: Any] {
        let names = query.groupBy.map(\.name)
        func totals(_ row: SpendRow) -> [String: Any] {
            [
                "requests": row.requests, "errors": row.errors, "input_tokens": row.tokens.input,
                "output_tokens": row.tokens.output, "cache_read_tokens": row.tokens.cacheRead,
                "cache_write_tokens": row.tokens.cacheWrite, "reasoning_tokens": row.tokens.reasoning,
                "cost_usd": row.costUSD, "cache_hits": row.cacheHits, "saved_usd": row.savedUSD,
            ]
        }
        let groups = rows.map { row -> [String: Any] in
            var entry = totals(row)
            for (name, value) in zip(names, row.group) { entry[name] = value ?? NSNull() }
            return entry
        }
        let sum = rows.reduce(SpendRow(group: [], requests: 0, errors: 0, tokens: .init(), costUSD: 0)) { sum, row in
            SpendRow(
                group: [], requests: sum.requests + row.requests, errors: sum.errors + row.errors,
                tokens: .init(
                    input: sum.tokens.input &+ row.tokens.input, output: sum.tokens.output &+ row.tokens.output,
                    cacheRead: sum.tokens.cacheRead &+ row.tokens.cacheRead,
                    cacheWrite: sum.tokens.cacheWrite &+ row.tokens.cacheWrite,
                    reasoning: sum.tokens.reasoning &+ row.tokens.reasoning),
                costUSD: sum.costUSD + row.costUSD, cacheHits: sum.cacheHits + row.cacheHits,
                savedUSD: sum.savedUSD + row.savedUSD)
        }
        var answer: [String: Any] = ["group_by": names, "groups": groups, "total": totals(sum)]
        if let from = query.fromMs { answer["from"] = isoTime(from) }
        if let to = query.toMs { answer["to"] = isoTime(to) }
        if let key = query.keyID { answer["key"] = key }
        return answer
    }

    /// One request record as JSON (bodies included when recorded).
    public static func json(_ record: RequestRecord) -> [String: Any] {
        var entry: [String: Any] = [
            "request_id": record.requestID, "time": isoTime(record.receivedAtMs), "key": record.keyID ?? NSNull(),
            "dialect": record.dialect, "endpoint": record.endpoint, "model": record.model, "stream": record.stream,
            "provider": record.provider ?? NSNull(), "upstream_model": record.upstreamModel ?? NSNull(),
            "region": record.region ?? NSNull(), "attempts": record.attempts,
            "failures": record.failures.map { ["deployment": $0.provider, "cause": $0.cause] }, "hedged": record.hedged,
            "route_reason": record.routeReason ?? NSNull(), "ttft_ms": record.ttftMs ?? NSNull(),
            "first_byte_ms": record.firstByteMs ?? NSNull(), "duration_ms": record.durationMs, "status": record.status,
            "error_type": record.errorType ?? NSNull(), "input_tokens": record.tokens.input,
            "output_tokens": record.tokens.output, "cache_read_tokens": record.tokens.cacheRead,
            "cache_write_tokens": record.tokens.cacheWrite, "reasoning_tokens": record.tokens.reasoning,
            "usage_estimated": record.usageEstimated, "cost_usd": record.costUSD, "country": record.country ?? NSNull(),
            "asn": record.asn ?? NSNull(), "resumes": record.resumes, "cache": record.cacheStatus ?? NSNull(),
            "cost_saved_usd": record.costSavedUSD,
            "metadata": (try? JSONSerialization.jsonObject(with: Data(record.metadataJSON.utf8))) ?? [String: Any](),
        ]
        if let body = record.requestBody { entry["request_body"] = body }
        if let body = record.responseBody { entry["response_body"] = body }
        return entry
    }

    /// The spend rows as an aligned text table, for `edge-router spend`.
    public static func table(_ rows: [SpendRow], query: SpendQuery) -> String {
        let header = query.groupBy.map(\.name) + ["requests", "errors", "input", "output", "cached", "cost_usd"]
        let lines = rows.map { row in
            row.group.map { $0 ?? "-" } + [
                String(row.requests), String(row.errors), String(row.tokens.input), String(row.tokens.output),
                String(row.tokens.cacheRead), String(format: "%.6f", row.costUSD),
            ]
        }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        func format(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, width in cell.padding(toLength: width, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        let total = rows.reduce(0.0) { $0 + $1.costUSD }
        let hits = rows.reduce(0) { $0 + $1.cacheHits }
        let saved = rows.reduce(0.0) { $0 + $1.savedUSD }
        // The cache's saving, only when it answered something: a log without hits reads as before.
        let savings = hits == 0 ? "" : "; \(hits) answered from the cache, $\(String(format: "%.6f", saved)) saved"
        return ([format(header)] + lines.map(format)).joined(separator: "\n")
            + "\n\(rows.reduce(0) { $0 + $1.requests }) requests, $\(String(format: "%.6f", total)) in all\(savings)\n"
    }

    private static func isoTime(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
