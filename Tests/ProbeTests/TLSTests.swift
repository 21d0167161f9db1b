import Foundation
import NIOSSL
import Testing
@testable import Probe

extension ProbeTests {
    @Suite struct TLS {
        static let script = ServerScript.stream(roleDelay: .milliseconds(5), firstToken: .milliseconds(30), extraChunks: 1, chunkInterval: .milliseconds(5))

        @Test func trustedCertificateSucceedsAndTimesTheHandshake() async throws {
            let certificate = try SelfSignedCertificate.make()
            defer { certificate.remove() }
            try await withTestServer(Self.script, tls: makeServerContext(certificate)) { server in
                try await withEngine { engine in
                    let request = chatRequest(server, tls: .init(caBundlePath: certificate.certificatePath))
                    let result = try await engine.probe(request)

                    #expect(result.error == nil)
                    #expect(result.httpStatus == 200)
                    #expect(result.tlsHandshake > .zero)
                    #expect(result.httpVersion == .http1_1)
                    let firstByte = try #require(result.timeToFirstByte)
                    #expect(firstByte >= result.dns + result.tcpConnect + result.tlsHandshake)
                    #expect(result.timeToFirstToken != nil)
                }
            }
        }

        @Test func untrustedCertificateFailsWithAClearTLSError() async throws {
            let certificate = try SelfSignedCertificate.make()
            defer { certificate.remove() }
            try await withTestServer(Self.script, tls: makeServerContext(certificate)) { server in
                try await withEngine { engine in
                    // Verification on, system trust store: the self-signed certificate is not trusted.
                    let result = try await engine.probe(chatRequest(server))

                    let error = try #require(result.error)
                    #expect(error.code == .tls)
                    #expect(error.phase == .tls)
                    #expect(error.curlCode == 60)
                    #expect(error.message.contains("TLS certificate verification failed"))
                    // libcurl's error buffer says why.
                    #expect(error.message.contains("self-signed certificate") || error.message.contains("self signed certificate"))
                    #expect(!error.description.contains("sk-test-secret"))
                    #expect(result.timeToFirstByte == nil)
                    #expect(result.httpStatus == nil)
                    #expect(server.stats.requestsReceived == 0)
                }
            }
        }

        @Test func disabledVerificationAcceptsAnUntrustedCertificate() async throws {
            let certificate = try SelfSignedCertificate.make()
            defer { certificate.remove() }
            try await withTestServer(Self.script, tls: makeServerContext(certificate)) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server, tls: .init(verifyPeer: false, verifyHost: false)))
                    #expect(result.error == nil)
                    #expect(result.tlsHandshake > .zero)
                }
            }
        }

        @Test func missingCABundleIsATLSError() async throws {
            let certificate = try SelfSignedCertificate.make()
            defer { certificate.remove() }
            try await withTestServer(Self.script, tls: makeServerContext(certificate)) { server in
                try await withEngine { engine in
                    let request = chatRequest(server, tls: .init(caBundlePath: certificate.directory.appendingPathComponent("missing.pem").path))
                    let result = try await engine.probe(request)
                    #expect(result.error?.code == .tls)
                }
            }
        }

        @Test func connectionResetDuringATLSUploadIsAnErrorNotACrash() async throws {
            // The server closes while a 32 MiB body is still being written over TLS; the
            // writes then hit a reset socket (EPIPE), which must not raise SIGPIPE.
            let certificate = try SelfSignedCertificate.make()
            defer { certificate.remove() }
            try await withTestServer(.closeOnRequestHead, tls: makeServerContext(certificate)) { server in
                try await withEngine { engine in
                    var request = chatRequest(server, tls: .init(caBundlePath: certificate.certificatePath))
                    request.body = [UInt8](repeating: UInt8(ascii: "a"), count: 32 << 20)
                    let result = try await engine.probe(request)
                    let error = try #require(result.error)
                    #expect([.network, .protocol].contains(error.code), "\(error)")
                    #expect(error.phase == .firstByte)
                    #expect(result.timeToFirstByte == nil)
                    #expect(server.stats.requestsReceived == 1)
                }
            }
        }

        private func makeServerContext(_ certificate: SelfSignedCertificate) throws -> NIOSSLContext {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate.certificatePath)
            let key = try NIOSSLPrivateKey(file: certificate.keyPath, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) },
                privateKey: .privateKey(key)
            )
            configuration.applicationProtocols = ["http/1.1"]
            return try NIOSSLContext(configuration: configuration)
        }
    }
}
