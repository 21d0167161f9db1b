import Foundation
import Logging

/// Writes log lines to standard error, in the same shape as swift-log's `StreamLogHandler`:
/// `<time> <level> <label> : <metadata> [<source>] <message>`.
///
/// Every line is one line: control characters anywhere in it (a provider's error text, a client's model name in
/// the message or in metadata) are written as escapes (`\n`, `\r`, `\t`, `\u{1B}`), so nobody who gets text into
/// a log line can end it and forge another, or send escape sequences to an operator's terminal.
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
        let text = render(level: level, message: message, metadata: explicit, source: source, time: Date())
        // One write per line, so lines from several threads never interleave.
        text.utf8CString.withUnsafeBufferPointer { bytes in
            _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count - 1)
        }
    }

    /// The line `log` writes, newline included.
    func render(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, time: Date) -> String {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit { merged.merge(explicit) { _, new in new } }
        let rendered = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        let line = "\(time.formatted(.iso8601)) \(level) \(label) :\(rendered) [\(source)] \(message)"
        return line.escapingControlCharacters + "\n"
    }
}

extension String {
    /// This text with each control character written as an escape: `\n`, `\r`, `\t`, and `\u{XX}` for the other
    /// C0 controls, DEL, the C1 controls and the Unicode line and paragraph separators. Returns the text itself,
    /// unchanged, when it has none (almost every line).
    var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var escaped = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": escaped.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r": escaped.append(contentsOf: #"\r"#.unicodeScalars)
            case "\t": escaped.append(contentsOf: #"\t"#.unicodeScalars)
            case _ where Self.needsEscape(scalar):
                escaped.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
