import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server for tests, from the machine's own binaries (Debian's `postgresql` package):
/// `initdb` into a temporary directory, `pg_ctl start` on 127.0.0.1 and a free port, with the socket in the same
/// directory, and password authentication over TCP (so the store's password setting is used for real).
///
/// PostgreSQL refuses to run as root; as root (CI is), every server command runs as the `postgres` user that the
/// package creates (else `nobody`) through `runuser`, and the directory is handed to that user.
///
/// Tests skip only when the binaries are absent and `CI` is unset (``isAvailable``): in CI a missing server fails.
public final class PostgresTestServer: Sendable {
    /// The directory with `initdb`, `pg_ctl` and `createdb`; nil when PostgreSQL is not installed.
    public static let binDirectory: String? = findBinaries()

    /// Whether PostgreSQL suites should run: the binaries exist, or this is CI (where their absence must fail).
    public static var isAvailable: Bool {
        binDirectory != nil || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// The server of the suite being run (set by each test target's `.postgresServer` trait).
    @TaskLocal public static var current: PostgresTestServer?

    public let port: Int
    public let user = "edge_test"
    public let password = "test-password-not-secret"
    public let directory: String
    private let runAs: String?
    private let bin: String
    private let databases = Atomic<Int>(0)

    private var dataDirectory: String { directory + "/data" }

    /// Creates the cluster and starts the server.
    public init() throws {
        guard let bin = Self.binDirectory else {
            throw PostgresTestError("PostgreSQL binaries not found (install Debian's postgresql package; see scripts/bootstrap)")
        }
        self.bin = bin
        runAs = getuid() == 0 ? Self.unprivilegedUser() : nil
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edge-pg-\(UUID().uuidString.prefix(8))").path
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let passwordFile = directory + "/password"
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if let runAs { try Self.run("/bin/chown", ["-R", runAs, directory]) }
        port = try Self.freePort()
        try run(
            "initdb",
            [
                "-D", directory + "/data", "-U", user, "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--locale=C", "--no-sync",
            ])
        try start()
    }

    /// Starts the server (again, after ``stop()``) on the same port, waiting until it accepts connections.
    /// `fsync=off` is safe for what the tests do (they kill the server, never the machine); commits stay
    /// synchronous, so a commit acknowledged before `stop()` is never lost by it.
    public func start() throws {
        try run(
            "pg_ctl",
            [
                "-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                "start",
            ])
    }

    /// Stops the server at once, as a crash would (`-m immediate`): connections drop, nothing is flushed politely.
    public func stop() throws {
        try run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"])
    }

    /// ``stop()`` on a thread of its own, so that a test under load does not block a thread of the concurrency
    /// pool while `pg_ctl` works.
    public func stopInBackground() async throws {
        try await Self.onThread { try self.stop() }
    }

    /// ``start()`` on a thread of its own.
    public func startInBackground() async throws {
        try await Self.onThread { try self.start() }
    }

    private static func onThread(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try work()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    /// Creates a database of its own for one test; returns its name.
    public func createDatabase() throws -> String {
        let name = "test_\(databases.add(1, ordering: .relaxed).newValue)"
        try run("createdb", ["-h", directory, "-p", String(port), "-U", user, name])
        return name
    }

    /// Stops the server and removes its directory.
    public func shutdown() {
        try? run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The server's log, for a failing test's message.
    public var serverLog: String { (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "" }

    // MARK: Processes

    private func run(_ tool: String, _ arguments: [String]) throws {
        let path = bin + "/" + tool
        if let runAs {
            try Self.run("/usr/sbin/runuser", ["-u", runAs, "--", path] + arguments)
        } else {
            try Self.run(path, arguments)
        }
    }

    /// Runs a command to its end (each is bounded by its own `-t` or finishes in seconds), with its output in a
    /// file. Spawned and reaped here rather than through Foundation's `Process`, which on Linux learns of the
    /// child's exit through a descriptor that the server started by `pg_ctl start` inherits and keeps open, so that
    /// the wait would last as long as the server.
    private static func run(_ executable: String, _ arguments: [String]) throws {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("edge-pg-cmd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw PostgresTestError("cannot start \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw PostgresTestError("waitpid failed for \(executable): error \(errno)") }
        }
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw PostgresTestError(
                "\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.prefix(2).joined(separator: " ")) failed "
                    + "(\(exited ? "exit \(code)" : "signal \(status & 0x7f)")): \(text)")
        }
    }

    private static func unprivilegedUser() -> String {
        getpwnam("postgres") != nil ? "postgres" : "nobody"
    }

    /// `EDGE_PG_BIN`, else the directory of `initdb` on PATH, else Debian's /usr/lib/postgresql/<newest>/bin.
    private static func findBinaries() -> String? {
        let files = FileManager.default
        func hasTools(_ directory: String) -> Bool {
            ["initdb", "pg_ctl", "createdb"].allSatisfy { files.isExecutableFile(atPath: directory + "/" + $0) }
        }
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["EDGE_PG_BIN"], hasTools(explicit) { return explicit }
        for directory in (environment["PATH"] ?? "").split(separator: ":").map(String.init) {
            let initdb = directory + "/initdb"
            guard files.isExecutableFile(atPath: initdb) else { continue }
            let resolved = URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path
            if hasTools(resolved) { return resolved }
            if hasTools(directory) { return directory }
        }
        let versions = ((try? files.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted()
        return versions.reversed().map { "/usr/lib/postgresql/\($0)/bin" }.first(where: hasTools)
    }

    /// A port free on 127.0.0.1 now (the kernel picks it; the socket is closed for PostgreSQL to bind it).
    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw PostgresTestError("socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw PostgresTestError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard named == 0 else { throw PostgresTestError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Why the test server could not be set up.
public struct PostgresTestError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
