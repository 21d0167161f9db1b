import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
@testable import ProviderSim
import Testing

/// Helpers for the dialect tests: requests with headers, and server-sent events parsed into names and JSON.
enum Dialects {
    /// A fast simulator speaking `dialect`: no TTFT, 4 tokens, a million tokens a second.
    static func fast(_ dialect: SimulatorDialect, tokens: Int = 4) -> SimulatorSettings {
        var settings = SimulatorSettings(dialect: dialect)
        settings.ttftMilliseconds = 0
        settings.tokensPerSecond = 1_000_000
        settings.answerTokens = tokens
        settings.thinkingTokens = 3
        return settings
    }

    static func post(
        _ client: HTTPClient, _ url: String, _ body: String, headers: [(String, String)] = []
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), response.headers, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// One server-sent event: its `event:` name (nil without one) and its `data:` text.
    struct Event {
        var name: String?
        var data: String

        /// The data as a JSON object, or nil when it is not one.
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] }
    }

    /// The events of an SSE body whose events end in `separator` (`\n\n` or `\r\n\r\n`).
    static func events(_ body: String, separator: String = "\n\n") -> [Event] {
        body.components(separatedBy: separator).filter { !$0.isEmpty }.map { block in
            var event = Event(name: nil, data: "")
            for line in block.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
                if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data += String(line.dropFirst(6)) }
            }
            return event
        }
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// `value[key]` as an object.
    static func dict(_ value: Any?, _ key: String) -> [String: Any]? { (value as? [String: Any])?[key] as? [String: Any] }
}
