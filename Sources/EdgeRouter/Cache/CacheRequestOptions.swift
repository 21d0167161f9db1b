import Foundation
import HTTPTypes

/// What one request says about the cache, from its headers: `x-edge-cache-ttl: N` (seconds; opts the request in
/// for N seconds, or out with 0), and `Cache-Control: no-cache` (do not answer from the cache; the answer is still
/// stored) and `no-store` (do not store the answer).
struct CacheRequestOptions: Sendable, Equatable {
    /// The TTL the request asks for; nil when it does not say.
    var ttl: Duration?
    /// `no-cache`: skip the lookup.
    var bypassLookup = false
    /// `no-store`: do not keep the answer.
    var noStore = false

    /// Reads the headers; a malformed `x-edge-cache-ttl` is refused (a 400 in the client's dialect).
    init(_ headers: HTTPFields, maxTTL: Duration) throws(EdgeRouterError) {
        if let text = headers[.edgeCacheTTL] {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.utf8.count <= 9, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let seconds = Int(trimmed)
            else {
                throw EdgeRouterError(
                    .invalidRequest, "x-edge-cache-ttl must be a whole number of seconds (0 to 999999999).",
                    param: "x-edge-cache-ttl")
            }
            ttl = min(.seconds(seconds), maxTTL)
        }
        for value in headers[values: .cacheControl] {
            for directive in value.split(separator: ",") {
                switch directive.trimmingCharacters(in: .whitespaces).lowercased() {
                case "no-cache": bypassLookup = true
                case "no-store": noStore = true
                default: break
                }
            }
        }
    }

    /// The policy for this request: the request's TTL over the configured policy's; nil when nothing opts it in,
    /// the request says `x-edge-cache-ttl: 0`, or the key turned the cache off (``CachePolicy/enabled``: a header
    /// cannot turn it back on).
    func effective(_ configured: CachePolicy?) -> CachePolicy? {
        if let configured, !configured.enabled { return nil }
        guard let ttl else { return configured }
        guard ttl > .zero else { return nil }
        var policy = configured ?? CachePolicy()
        policy.ttl = ttl
        return policy
    }
}

extension HTTPField.Name {
    static let edgeCacheTTL = Self("x-edge-cache-ttl")!
    static let edgeCache = Self("x-edge-cache")!
}
