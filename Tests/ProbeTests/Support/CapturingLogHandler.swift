import Logging
import Testing

/// Collects every log line (level, message and metadata) so tests can check what was
/// logged, and await a line.
final class LogCapture: Sendable {
    private let lines = ObservedValue<[String]>([])

    var all: [String] { lines.value }

    /// A trace-level logger writing into this capture.
    func logger(label: String = "probe-test") -> Logger {
        Logger(label: label) { _ in CapturingLogHandler(capture: self) }
    }

    /// Waits until a line containing every one of `fragments` was logged, and returns it.
    @discardableResult
    func waitForLine(
        containing fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> String? {
        let lines = await lines.waitUntil(sourceLocation: sourceLocation) { lines in
            lines.contains { line in fragments.allSatisfy { line.contains($0) } }
        }
        return lines.first { line in fragments.allSatisfy { line.contains($0) } }
    }

    fileprivate func append(_ line: String) {
        lines.update { $0.append(line) }
    }
}

private struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        capture.append("\(event.level) \(event.message) \(rendered)")
    }
}
