import Foundation
import ProviderSim

/// A throw-away certificate authority and a server certificate it signed for 127.0.0.1 and localhost, made by
/// `scripts/make-test-ca` (the openssl command) in a temporary directory, as the benchmarks make theirs.
struct TestCertificateAuthority {
    let directory: URL
    /// The authority's certificate: what the router is told to trust.
    var caPath: String { directory.appendingPathComponent("ca.pem").path }
    /// What a simulator serves HTTPS with.
    var serverTLS: SimulatorTLS {
        SimulatorTLS(
            certificateChainPath: directory.appendingPathComponent("server.pem").path,
            privateKeyPath: directory.appendingPathComponent("server.key").path)
    }

    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/make-test-ca")
    }

    static func make() throws -> TestCertificateAuthority {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edge-test-ca-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, directory.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let authority = TestCertificateAuthority(directory: directory)
        guard process.terminationStatus == 0 else {
            authority.remove()
            throw CertificateError(status: process.terminationStatus)
        }
        return authority
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    struct CertificateError: Error, CustomStringConvertible {
        let status: Int32
        var description: String { "scripts/make-test-ca failed with status \(status)" }
    }
}
