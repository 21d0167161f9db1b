import AsyncHTTPClient
import NIOCore

/// Words for what went wrong upstream, safe to show to clients: the provider's own message, or a short description
/// of a connection error (never a header, a key or our request).
enum UpstreamErrorText {
    /// The `message` of an OpenAI-style error body (`{"error": {"message": ...}}`), shortened.
    static func message(in body: ByteBuffer) -> String? {
        let message = body.withUnsafeReadableBytes { raw -> String? in
            var scanner = JSONScanner(raw.bindMemory(to: UInt8.self))
            var message: String?
            do {
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    guard key.matches("error") else {
                        try scanner.skipValue()
                        continue
                    }
                    message = nil
                    if try scanner.consumeNull() { continue }
                    try scanner.enterObject()
                    while let key = try scanner.nextMember() {
                        if key.matches("message") { message = try scanner.readNullableString() } else { try scanner.skipValue() }
                    }
                }
                try scanner.finish()
            } catch {
                return nil
            }
            return message
        }
        guard let message else { return nil }
        return message.count > 500 ? String(message.prefix(500)) + "…" : message
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connect timed out"
            case .remoteConnectionClosed: return "the provider closed the connection"
            case .readTimeout: return "read timed out"
            default: return "connection failed (\(error))"
            }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("NIOSSL") || text.contains("handshake") { return "TLS failure" }
        return "connection failed (\(text.prefix(200)))"
    }
}
