import Foundation
import GRDB

extension RequestRecord {
    /// The record's values in ``RequestLogSchema/columns`` order.
    var databaseValues: [(any DatabaseValueConvertible)?] {
        [
            requestID, receivedAtMs, keyID, dialect, endpoint, model, stream, provider, upstreamModel, region, attempts,
            Self.failuresJSON(failures), hedged, routeReason, ttftMs, firstByteMs, durationMs, status, errorType,
            tokens.input, tokens.output, tokens.cacheRead, tokens.cacheWrite, tokens.reasoning, usageEstimated, costUSD,
            country, asn, metadataJSON, resumes, cacheStatus, costSavedUSD, requestBody, responseBody,
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
            asn: row["asn"], metadataJSON: row["metadata"] ?? "{}", resumes: row["resumes"] ?? 0,
            cacheStatus: row["cache_status"], costSavedUSD: row["cost_saved_usd"] ?? 0,
            requestBody: row["request_body"],
            responseBody: row["response_body"])
    }

    /// The failures as a JSON array of `{"provider","cause"}` objects, written by hand: Foundation's encoder
    /// cost about as much as the rest of a row's insert.
    static func failuresJSON(_ failures: [AttemptFailure]) -> String {
        guard !failures.isEmpty else { return "[]" }
        var text = "["
        for (index, failure) in failures.enumerated() {
            if index > 0 { text += "," }
            text += #"{"provider":"# + quoted(failure.provider) + #","cause":"# + quoted(failure.cause) + "}"
        }
        return text + "]"
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func failures(fromJSON text: String) -> [AttemptFailure] {
        (try? JSONDecoder().decode([AttemptFailure].self, from: Data(text.utf8))) ?? []
    }
}
