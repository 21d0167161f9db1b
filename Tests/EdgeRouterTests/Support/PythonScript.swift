import Foundation

/// Runs one of the Python scripts in `Fixtures/` with the test environment's interpreter (`EDGE_TEST_PYTHON`, set
/// by `scripts/test` to a virtual environment with the official SDKs).
enum PythonScript {
    static let python = ProcessInfo.processInfo.environment["EDGE_TEST_PYTHON"]

    /// The script's exit status and everything it printed. A script still running after `limit` seconds is
    /// stopped (and so fails): a hung SDK call must not hang the suite.
    static func run(_ name: String, arguments: [String], limit: Double = 120) async throws -> (status: Int32, output: String) {
        // One script at a time: Foundation's `Process` and `FileHandle` on Linux trap ("Fatal access conflict")
        // when several processes are started and read from concurrently.
        await turns.acquire()
        do {
            let result = try await runAlone(name, arguments: arguments, limit: limit)
            await turns.release()
            return result
        } catch {
            await turns.release()
            throw error
        }
    }

    private static let turns = Turns()

    private static func runAlone(_ name: String, arguments: [String], limit: Double) async throws -> (status: Int32, output: String) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python ?? "/usr/bin/python3")
        process.arguments = [script.path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { if process.isRunning { process.terminate() } }
        // Reading and waiting block a thread: do it on Dispatch's, not on the cooperative pool that the router in
        // this same process needs in order to answer the SDK.
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
        }
    }
}

/// A first-come, first-served turn for one caller at a time.
private actor Turns {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
