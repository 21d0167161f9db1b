import Foundation
import Logging

/// Writes log lines to standard error, in the same shape as swift-log's `StreamLogHandler`:
/// `<time> <level> <label> : <metadata> [<source>] <message>`.
///
/// Unlike `StreamLogHandler`, which renders its metadata into a string whenever a key is set, this one renders it
/// only when a line is written. Every request sets metadata on its logger (Hummingbird's request id) while almost
/// none log a line, so rendering on set cost a few per cent of a request's CPU.
struct StandardErrorLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, logLevel: Logger.Level, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit { merged.merge(explicit) { _, new in new } }
        let rendered = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        let time = Date().formatted(.iso8601)
        let text = "\(time) \(level) \(label) :\(rendered) [\(source)] \(message)\n"
        // One write per line, so lines from several threads never interleave.
        text.utf8CString.withUnsafeBufferPointer { bytes in
            _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count - 1)
        }
    }
}
