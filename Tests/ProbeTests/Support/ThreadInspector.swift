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

    /// How many threads named `name` remain once they have had up to `limit` to vanish.
    ///
    /// `pthread_join` returns when the thread has cleared its tid, which the kernel does
    /// before it unlists the task from /proc; there is no event for that last step, so
    /// this polls (briefly) for a count of zero.
    static func threadsAfterExit(named name: String, within limit: Duration = .seconds(2)) async throws -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while true {
            let count = try threads(named: name)
            if count == 0 || clock.now >= deadline { return count }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
