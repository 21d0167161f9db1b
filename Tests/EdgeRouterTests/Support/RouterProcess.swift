import Foundation
import Synchronization

/// The `edge-router` executable run as a child process (for tests that need a process of its own, such as one with
/// a small open-files limit); its standard error is watched line by line.
final class RouterProcess: Sendable {
    let process: Process
    /// The configuration file the router was started with (a test may rewrite it and reload).
    let configFile: URL
    private struct Watch {
        var lines: [String] = []
        var partial = ""
        var nextID = 0
        var waiters: [Int: (text: String, continuation: CheckedContinuation<String?, Never>)] = [:]
        /// Waits whose time ran out before they were registered.
        var expired: Set<Int> = []
    }
    private let watch = Mutex(Watch())

    /// The built executable, next to the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/edge-router")
    }

    /// Starts `edge-router serve` with `yaml` under an open-files limit of `openFiles`.
    init(yaml: String, openFiles: Int) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("edge-router-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        configFile = file
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "ulimit -n \(openFiles) && exec \"$0\" serve --config \"$1\" --log-level info",
            Self.executable.path, file.path,
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        self.process = process
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.received(String(decoding: data, as: UTF8.self))
        }
        try process.run()
    }

    private func received(_ text: String) {
        let woken = watch.withLock { watch in
            watch.partial += text
            var woken: [(CheckedContinuation<String?, Never>, String)] = []
            while let newline = watch.partial.firstIndex(of: "\n") {
                let line = String(watch.partial[..<newline])
                watch.partial.removeSubrange(...newline)
                watch.lines.append(line)
                for (id, waiter) in watch.waiters where line.contains(waiter.text) {
                    watch.waiters[id] = nil
                    woken.append((waiter.continuation, line))
                }
            }
            return woken
        }
        for (continuation, line) in woken { continuation.resume(returning: line) }
    }

    /// The first line of standard error containing `text`, waiting for it at most `timeout`.
    func line(containing text: String, within timeout: Duration = .seconds(30)) async -> String? {
        let id = watch.withLock { watch in
            defer { watch.nextID += 1 }
            return watch.nextID
        }
        let expiry = Task {
            try await Task.sleep(for: timeout)
            let waiter = watch.withLock { watch in
                let waiter = watch.waiters.removeValue(forKey: id)
                if waiter == nil { watch.expired.insert(id) }
                return waiter
            }
            waiter?.continuation.resume(returning: nil)
        }
        defer { expiry.cancel() }
        return await withCheckedContinuation { continuation in
            let seen: String?? = watch.withLock { watch in
                if let line = watch.lines.first(where: { $0.contains(text) }) { return .some(line) }
                if watch.expired.contains(id) { return .some(nil) }
                watch.waiters[id] = (text, continuation)
                return nil
            }
            if let seen { continuation.resume(returning: seen) }
        }
    }

    /// The port the router listens on, from its "listening" log line.
    func port() async -> Int? {
        guard let line = await line(containing: "edge-router listening") else { return nil }
        // "... address=[IPv4]127.0.0.1/127.0.0.1:PORT [EdgeRouter] edge-router listening"
        guard let address = line.range(of: "address=") else { return nil }
        let field = line[address.upperBound...].prefix { $0 != " " }
        return field.split(separator: ":").last.flatMap { Int($0) }
    }

    /// Open file descriptors of the process.
    func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd").count) ?? 0
    }

    func stop() {
        process.interrupt()
        process.waitUntilExit()
    }
}
