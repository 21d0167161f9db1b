import Foundation
import GeoIP
import InMemoryLogging
import Logging
import Testing

/// The MaxMind test databases in `Fixtures/`, read in place next to this file.
enum Fixture: String, CaseIterable {
    case geoIP2City = "GeoIP2-City-Test.mmdb"
    case geoLite2City = "GeoLite2-City-Test.mmdb"
    case geoLite2Country = "GeoLite2-Country-Test.mmdb"
    case geoLite2ASN = "GeoLite2-ASN-Test.mmdb"
    case brokenDoubleFormat = "GeoIP2-City-Test-Broken-Double-Format.mmdb"
    case brokenPointers = "MaxMind-DB-test-broken-pointers-24.mmdb"
    case brokenSearchTree = "MaxMind-DB-test-broken-search-tree-24.mmdb"
    case ipv4Only = "MaxMind-DB-test-ipv4-24.mmdb"

    /// `#filePath` is resolved at compile time, so this works wherever the tests run from,
    /// without bundle resources (which need Foundation's Bundle and a resource build step).
    static let directory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
        .path

    var path: String { Fixture.directory + "/" + rawValue }

    func open() throws -> GeoIPDatabase {
        try GeoIPDatabase(path: path)
    }
}

/// A fresh directory under the system's temporary directory, removed when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/geoip-tests.XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(cString: created)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Copies a fixture to `name` in this directory and returns its path.
    @discardableResult
    func copy(_ fixture: Fixture, to name: String) throws -> String {
        let destination = file(name)
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: destination)
        return destination
    }

    /// Replaces `name` the way geoipupdate does: write a temporary file, rename it over.
    func replace(_ name: String, with fixture: Fixture) throws {
        let temporary = file(name + ".tmp")
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: temporary)
        try rename(temporary, to: name)
    }

    /// Replaces `name` with arbitrary bytes, by rename.
    func replace(_ name: String, withBytes bytes: [UInt8]) throws {
        let temporary = file(name + ".tmp")
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        try rename(temporary, to: name)
    }

    private func rename(_ temporary: String, to name: String) throws {
        guard Foundation.rename(temporary, file(name)) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }
}

/// A logger that keeps what it is given, for checking warnings.
func capturingLogger() -> (Logger, InMemoryLogHandler) {
    let handler = InMemoryLogHandler()
    var logger = Logger(label: "geoip-tests", factory: { _ in handler })
    logger.logLevel = .debug
    return (logger, handler)
}

extension IPAddress {
    /// Parses a literal in tests, failing the test (not crashing) on a typo.
    static func literal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> IPAddress {
        try #require(IPAddress(text), "not an IP address: \(text)", sourceLocation: sourceLocation)
    }
}

/// A logger that drops everything, for tests that do not look at logs.
let quietLogger = Logger(label: "geoip-tests", factory: { _ in SwiftLogNoOpLogHandler() })
