import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway Redis for tests: Debian's `redis-server` on 127.0.0.1 and a free port, with no persistence, started
/// and stopped by its process id (never by name: other processes on the machine may be Redis servers too).
final class RedisTestServer: Sendable {
    /// `redis-server` on PATH or in /usr/bin; nil when it is not installed (`scripts/bootstrap` installs it).
    static let binary: String? = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Whether Redis suites run: the binary exists, or this is CI (where its absence must fail).
    static var isAvailable: Bool { binary != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    let port: Int
    private let process = Mutex<Process?>(nil)

    init() throws {
        port = try Self.freePort()
        try start()
    }

    /// Starts the server (again after ``stop()``, on the same port), and waits until it answers `PING`.
    func start() throws {
        guard let binary = Self.binary else { throw RedisTestError("redis-server not found (see scripts/bootstrap)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--loglevel", "warning",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process.withLock { $0 = process }
        try waitForPing(within: .seconds(10))
    }

    /// Stops the server by its pid and waits for it to exit.
    func stop() {
        guard let process = self.process.withLock({ value -> Process? in
            defer { value = nil }
            return value
        }) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        stop()
    }

    /// Connects and sends `PING` until `+PONG` comes back, within `limit`: the server is ready.
    private func waitForPing(within limit: Duration) throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if Self.ping(port: port) { return }
            usleep(20_000)  // the server's start is no event this process can await
        }
        throw RedisTestError("redis-server on port \(port) did not answer PING within \(limit)")
    }

    /// Keys in the server's database (`DBSIZE`); nil when it cannot be asked.
    func keyCount() -> Int? {
        guard let reply = Self.ask(port: port, "DBSIZE"), reply.first == ":" else { return nil }
        return Int(reply.dropFirst().trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Waits until the database holds at least `count` keys, polling within `limit` (a write by a router in this
    /// process lands there with no event the test can await).
    func waitForKeys(atLeast count: Int, within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let keys = keyCount(), keys >= count { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    private static func ping(port: Int) -> Bool {
        ask(port: port, "PING")?.hasPrefix("+PONG") == true
    }

    /// Sends one inline command and returns the first bytes of the reply.
    private static func ask(port: Int, _ command: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let bytes = Array((command + "\r\n").utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { return nil }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &reply, reply.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: reply[0..<count], as: UTF8.self)
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisTestError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw RedisTestError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw RedisTestError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct RedisTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
