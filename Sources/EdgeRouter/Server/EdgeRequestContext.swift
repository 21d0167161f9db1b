import Hummingbird
import NIOCore

/// Per-request data of the Hummingbird routes: the connection, the request id, and the gateway key.
public struct EdgeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client connection (its peer address places the client).
    public let channel: any Channel
    /// The id returned as `x-edge-request-id` and quoted in every error message.
    public let requestID: String
    /// The key the client authenticated with (set by ``AuthMiddleware``).
    public var gatewayKey: GatewayKey?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.requestID = Self.makeRequestID()
        self.gatewayKey = nil
    }

    /// 16 random hex digits: unique enough to find a request in logs, cheap to make.
    static func makeRequestID() -> String {
        let value = UInt64.random(in: .min ... .max)
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 16) { buffer in
            for index in 0..<16 {
                buffer[index] = digits[Int((value >> UInt64(60 - index * 4)) & 0xf)]
            }
            return 16
        }
    }
}
