import AsyncHTTPClient
import NIOSSL

/// A provider's private certificate authorities (``Provider/caBundlePath``): checked when the configuration is
/// read, and made into the trust of its live calls here; probes hand the same file to libcurl, so that a probe
/// never passes where live calls fail, nor the other way round.
enum CABundle {
    /// Why the file cannot serve as a CA bundle, or nil when it holds at least one PEM certificate.
    static func problem(at path: String) -> String? {
        do {
            return try NIOSSLCertificate.fromPEMFile(path).isEmpty ? "'\(path)' holds no PEM certificate" : nil
        } catch {
            return "cannot read a PEM CA bundle at '\(path)' (\(error))"
        }
    }

    /// TLS for live calls to a provider: certificates and host names always verified, against `path`'s
    /// authorities instead of the system's when set.
    static func clientTLS(trusting path: String?) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let path { tls.trustRoots = .file(path) }
        return tls
    }
}
