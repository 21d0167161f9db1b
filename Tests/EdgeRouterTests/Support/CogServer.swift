import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A real Cog HTTP server (PyPI `cog`, no container: `python -m cog.server.http`) serving the test predictor of
/// `Fixtures/cog/predict.py`, on an ephemeral port of 127.0.0.1, started from a test and stopped by its PID.
final class CogServer: @unchecked Sendable {
    // `@unchecked Sendable`: `process` and `directory` are set once in `init` and only read after; `Process` is
    // thread-safe for `terminate`, `isRunning` and `waitUntilExit`.

    /// The predictor class to serve: `Predictor` streams (`@cog.streaming`), `WholePredictor` does not.
    enum Predictor: String {
        case streaming = "Predictor"
        case whole = "WholePredictor"
    }

    let port: Int
    /// The predictor's log: `start <user turn>`, then `done` or `cancel <exception>` for each prediction.
    let logPath: String
    private let process: Process
    private let directory: URL

    var base: String { "http://127.0.0.1:\(port)" }

    /// Whether the tests can run a Cog server: always when `CI` is set (CI's `scripts/python-env` installs it, and
    /// a missing one must fail there, not skip), else when `EDGE_TEST_PYTHON`'s environment has the `cog` package.
    static let isAvailable: Bool = {
        if let ci = ProcessInfo.processInfo.environment["CI"], !ci.isEmpty { return true }
        guard let python = PythonScript.python else { return false }
        let lib = URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        return versions.contains { version in
            FileManager.default.fileExists(atPath: lib.appendingPathComponent("\(version)/site-packages/cog/server/http.py").path)
        }
    }()

    /// Starts the server with `predictor`, each word `delayMs` apart, and waits (at most `limit`) until its
    /// `/health-check` says `READY`.
    init(_ predictor: Predictor, delayMs: Int = 50, limit: Duration = .seconds(90)) async throws {
        let python = PythonScript.python ?? "/usr/bin/python3"
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/cog")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".cog"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: fixture.appendingPathComponent("predict.py"), to: directory.appendingPathComponent("predict.py"))
        if predictor == .streaming {
            try FileManager.default.copyItem(
                at: fixture.appendingPathComponent("openapi_schema.json"),
                to: directory.appendingPathComponent(".cog/openapi_schema.json"))
        }
        logPath = directory.appendingPathComponent("predictions.log").path
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "cog.server.http", "--host", "127.0.0.1"]
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        // Cog's worker starts `python` from PATH: the virtual environment's must come first.
        let bin = URL(fileURLWithPath: python).deletingLastPathComponent().path
        environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["COG_PREDICT_TYPE_STUB"] = "predict.py:\(predictor.rawValue)"
        environment["PORT"] = String(port)
        environment["COG_TEST_DELAY_MS"] = String(delayMs)
        environment["COG_TEST_LOG"] = logPath
        process.environment = environment
        let output = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = output
        process.standardError = output
        try process.run()
        do {
            try await waitUntilReady(limit: limit)
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the server (SIGTERM to its PID, then SIGKILL if it is still there after 10 s) and removes its
    /// directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The predictor's log lines so far.
    func log() -> [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits until the predictor's log has a line starting with `prefix`, polling (the log is a file: there is no
    /// event to await), at most `limit`.
    func waitForLog(_ prefix: String, limit: Duration = .seconds(20)) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if log().contains(where: { $0.hasPrefix(prefix) }) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Polls `/health-check` until it says `READY` (a server starting up has nothing to push to us).
    private func waitUntilReady(limit: Duration) async throws {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let outcome = await poll(client, until: ContinuousClock.now + limit)
        try? await client.shutdown()
        if let outcome { throw CogServerError(message: outcome) }
    }

    /// Nil once the server is READY; else why not.
    private func poll(_ client: HTTPClient, until deadline: ContinuousClock.Instant) async -> String? {
        while ContinuousClock.now < deadline {
            guard process.isRunning else { return "the Cog server exited with \(process.terminationStatus)" }
            var request = HTTPClientRequest(url: base + "/health-check")
            request.method = .GET
            if let response = try? await client.execute(request, timeout: .seconds(2)),
                let body = try? await response.body.collect(upTo: 1 << 20),
                String(buffer: body).contains(#""status":"READY""#)
            {
                return nil
            }
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return "cancelled" }
        }
        return "the Cog server was not READY in time"
    }

    /// A port nobody listens on now: bound to port 0, read, closed (the server binds it a moment later).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CogServerError(message: "no socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CogServerError(message: "could not bind a port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct CogServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
