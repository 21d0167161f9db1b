import Foundation
import GRDB

extension RequestRecord {
    /// The record's values in ``RequestLogSchema/columns`` order.
    var databaseValues: [(any DatabaseValueConvertible)?] {
        [
            requestID, receivedAtMs, keyID, dialect, endpoint, model, stream, provider, upstreamModel, region, attempts,
            Self.failuresJSON(failures), hedged, routeReason, ttftMs, firstByteMs, durationMs, status, errorType,
            tokens.input, tokens.output, tokens.cacheRead, tokens.cacheWrite, tokens.reasoning, usageEstimated, costUSD,
            country, asn, metadataJSON, requestBody, responseBody,
        ]
    }

    /// A record from a row selected with every column of ``RequestLogSchema/columns``.
    init(row: Row) {
        self.init(
            requestID: row["request_id"] ?? "", receivedAtMs: row["received_at_ms"] ?? 0, keyID: row["key_id"],
            dialect: row["dialect"] ?? "", endpoint: row["endpoint"] ?? "", model: row["model"] ?? "",
            stream: row["stream"] ?? false, provider: row["provider"], upstreamModel: row["upstream_model"],
            region: row["region"], attempts: row["attempts"] ?? 0,
            failures: Self.failures(fromJSON: row["failures"] ?? "[]"), hedged: row["hedged"] ?? false,
            routeReason: row["route_reason"], ttftMs: row["ttft_ms"], firstByteMs: row["first_byte_ms"],
            durationMs: row["duration_ms"] ?? 0, status: row["status"] ?? 0, errorType: row["error_type"],
            tokens: Tokens(
                input: row["input_tokens"] ?? 0, output: row["output_tokens"] ?? 0,
                cacheRead: row["cache_read_tokens"] ?? 0, cacheWrite: row["cache_write_tokens"] ?? 0,
                reasoning: row["reasoning_tokens"] ?? 0),
            usageEstimated: row["usage_estimated"] ?? false, costUSD: row["cost_usd"] ?? 0, country: row["country"],
            asn: row["asn"], metadataJSON: row["metadata"] ?? "{}", requestBody: row["request_body"],
            responseBody: row["response_body"])
    }

    static func failuresJSON(_ failures: [AttemptFailure]) -> String {
        guard !failures.isEmpty, let data = try? JSONEncoder().encode(failures) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func failures(fromJSON text: String) -> [AttemptFailure] {
        (try? JSONDecoder().decode([AttemptFailure].self, from: Data(text.utf8))) ?? []
    }
}
