import Foundation

/// Finds the router's metric names in dashboards and alerting rules and tells which of them the router does not
/// export: a renamed metric must not leave a Grafana panel or a Prometheus alert quietly empty.
///
/// A reference is an identifier `edge_[a-z0-9_]+` standing on its own (not inside a longer identifier, and not part
/// of a recording rule's `level:metric:operation` name, which has colons). Histogram series (`_bucket`, `_sum`,
/// `_count`) are accepted for histograms only: `edge_client_connections_count` is a gauge, and
/// `edge_client_connections` does not exist.
public enum MetricReferences {
    /// One metric name found in a file.
    public struct Reference: Sendable, Hashable {
        /// The file, as given to ``check(directory:)`` plus its path below it.
        public var file: String
        /// The line, from 1.
        public var line: Int
        /// The name as written.
        public var name: String
    }

    /// What checking a folder found.
    public struct Report: Sendable {
        /// The files read, in order.
        public var files: [String]
        /// Every reference found.
        public var references: [Reference]
        /// The references to metrics the router does not export.
        public var unknown: [Reference] { references.filter { !MetricReferences.isExported($0.name) } }
    }

    /// The file name endings read: Grafana dashboards and provisioning files, Prometheus rules and rule tests.
    public static let extensions: Set<String> = ["json", "yaml", "yml"]

    /// Whether `name` is a series the router exports, or the name of one of its histograms.
    public static func isExported(_ name: String) -> Bool {
        MetricNames.seriesNames.contains(name) || MetricNames.all.contains { $0.name == name }
    }

    /// The metric names in `text`, each with its line.
    public static func names(in text: String) -> [(line: Int, name: String)] {
        var found: [(line: Int, name: String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line.utf8)
            var position = 0
            while position < bytes.count {
                guard Self.startsName(bytes, at: position) else {
                    position += 1
                    continue
                }
                var end = position + 5
                while end < bytes.count, Self.isNameByte(bytes[end]) { end += 1 }
                // A colon after the name makes it part of a recording rule's name, not a metric of the router.
                let followedByColon = end < bytes.count && bytes[end] == UInt8(ascii: ":")
                if !followedByColon, end > position + 5 {
                    found.append((index + 1, String(decoding: bytes[position..<end], as: UTF8.self)))
                }
                position = end
            }
        }
        return found
    }

    /// Reads every dashboard and rule file under `directory` (recursively) and lists the metric names they use.
    /// - Throws: when the folder cannot be listed or a file cannot be read.
    public static func check(directory: URL) throws -> Report {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: directory.path])
        }
        var files: [URL] = []
        for case let url as URL in enumerator where extensions.contains(url.pathExtension.lowercased()) {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { files.append(url) }
        }
        files.sort { $0.path < $1.path }
        var report = Report(files: [], references: [])
        let base = directory.standardizedFileURL.path
        for url in files {
            let text = try String(contentsOf: url, encoding: .utf8)
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(base) ? String(path.dropFirst(base.count)).trimmingPrefix("/") : path[...]
            let shown = (directory.path as NSString).appendingPathComponent(String(relative))
            report.files.append(shown)
            report.references += names(in: text).map { Reference(file: shown, line: $0.line, name: $0.name) }
        }
        return report
    }

    /// `edge_` at `position`, not preceded by a character that would make it part of a longer identifier.
    private static func startsName(_ bytes: [UInt8], at position: Int) -> Bool {
        guard position + 5 <= bytes.count, bytes[position..<(position + 5)].elementsEqual("edge_".utf8) else { return false }
        guard position > 0 else { return true }
        let before = bytes[position - 1]
        return !(isNameByte(before) || (before >= UInt8(ascii: "A") && before <= UInt8(ascii: "Z")) || before == UInt8(ascii: ":"))
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_")
    }
}
