import AsyncHTTPClient
import EdgeRouter
import Foundation
import Logging
import NIOConcurrencyHelpers
import ProviderSim

/// Every line a logger wrote, message and metadata rendered as text, for tests that check what reaches the log.
final class CapturedLog: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    /// Every line as it is written, for a test that awaits one (a single reader).
    let written: AsyncStream<String>
    private let writing: AsyncStream<String>.Continuation

    init() {
        (written, writing) = AsyncStream.makeStream(of: String.self)
    }

    /// The lines so far, each `level message key=value ...`.
    var all: [String] { lines.withLockedValue { $0 } }

    /// Waits, within `limit`, for the first line written that contains `text` (one wait at a time).
    func line(containing text: String, within limit: Duration = .seconds(30)) async throws -> String {
        let written = self.written
        return try await bounded(limit, "a log line with \"\(text)\"") {
            for await line in written where line.contains(text) { return line }
            throw CancellationError()
        }
    }

    /// A logger at `trace` level writing here.
    func logger() -> Logger {
        var logger = Logger(label: "captured") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) {
        lines.withLockedValue { $0.append(line) }
        writing.yield(line)
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var all = metadata
            if let extra = event.metadata { all.merge(extra) { $1 } }
            let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.append("\(event.level) \(event.message) \(rendered)")
        }
    }
}

extension RouterHarness {
    /// A router whose model `m` is served by `p0`, a ``StubProvider`` running `script`, then by `p1`, a healthy
    /// simulator (unless `healthyFallback` is false). `providerExtra` adds keys to every provider's `timeouts`,
    /// `server` lines to `server`, `extraYAML` top-level sections.
    static func withStub<Value: Sendable>(
        _ script: @escaping StubProvider.Script, healthyFallback: Bool = true, logger routerLogger: Logger = RouterHarness.logger,
        firstTokenMs: Int = 2000, idleMs: Int = 2000, providerExtra: String = "", server: String = "", extraYAML: String = "",
        _ body: @Sendable (RouterHarness, StubProvider) async throws -> Value
    ) async throws -> Value {
        try await StubProvider.with(script) { stub in
            try await run(sims: healthyFallback ? [ChatStreamingTests.fastSim()] : [], logger: routerLogger) { simPorts in
                var yaml = testYAML(ports: [stub.port] + simPorts, firstTokenMs: firstTokenMs, idleMs: idleMs, server: server)
                if !providerExtra.isEmpty {
                    // Extra keys for every provider's timeouts (for example `stream_ms: 500`).
                    yaml = yaml.replacingOccurrences(of: "idle_ms: \(idleMs) }", with: "idle_ms: \(idleMs), \(providerExtra) }")
                }
                return yaml + "\n" + extraYAML
            } _: { harness in
                try await body(harness, stub)
            }
        }
    }
}
