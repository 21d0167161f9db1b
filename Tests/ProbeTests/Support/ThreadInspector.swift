import Foundation

/// Reads this process's threads from /proc (Linux).
enum ThreadInspector {
    /// The `Threads:` line of /proc/self/status.
    static func threadCount() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
            if let count = Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) {
                return count
            }
        }
        throw TestFailure("no Threads: line in /proc/self/status")
    }

    /// How many threads of this process are named `name` (their /proc comm).
    static func threads(named name: String) throws -> Int {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        return tasks.count { task in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .newlines) == name
        }
    }
}
