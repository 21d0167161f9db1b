import Foundation
import RequestLog

/// Records for tests, with only the fields a test cares about set.
enum Sample {
    static func record(
        id: String, at receivedAtMs: Int64 = 1_700_000_000_000, key: String = "k1", model: String = "m",
        provider: String = "p1", cost: Double = 0.001, failures: [RequestRecord.AttemptFailure] = [],
        metadata: String = "{}", status: Int = 200, errorType: String? = nil, body: String? = nil
    ) -> RequestRecord {
        RequestRecord(
            requestID: id, receivedAtMs: receivedAtMs, keyID: key, dialect: "openai", endpoint: "/v1/chat/completions",
            model: model, stream: true, provider: provider, upstreamModel: "up-\(model)", region: "eu-west",
            attempts: failures.count + 1, failures: failures, hedged: false, routeReason: "lowest_ttft", ttftMs: 42.5,
            firstByteMs: 40, durationMs: 120, status: status, errorType: errorType,
            tokens: .init(input: 100, output: 50, cacheRead: 10, cacheWrite: 5, reasoning: 7), usageEstimated: false,
            costUSD: cost, country: "DE", asn: 3320, metadataJSON: metadata, requestBody: body)
    }
}

/// A directory removed when the value goes.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("request-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
