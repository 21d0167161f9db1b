import NIOSSL

/// HTTPS for the simulator, as real providers serve: a certificate chain and its private key, PEM files. Tests and
/// benchmarks make them at run time with a test certificate authority that the router is told to trust.
public struct SimulatorTLS: Sendable {
    /// The server's certificate, then any intermediates.
    public var certificateChainPath: String
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }

    /// The server context (HTTP/1.1 only: ALPN offers `http/1.1`, as the router's client asks).
    func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateChainPath).map { .certificate($0) },
            // Read as PEM whatever the file is called (`.file` guesses the format from the extension).
            privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)))
        configuration.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }
}
