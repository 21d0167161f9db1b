import Crypto
import EdgeJSON
import RoutingCore

/// The key of a cached answer: the SHA-256 of the canonical request and of whose it is. Public for the
/// micro-benchmark of its computation (`Benchmarks/Micro`, `CacheBenchmarks`).
///
/// What goes in, in this order, each part ended by a zero byte: a format version; the tenant (the gateway key's
/// id: a cached answer never crosses keys); the client's dialect (`openai`, `anthropic`, `gemini`: the endpoint
/// follows from it, and a hit is replayed in the dialect that filled it), and `responses` after it for the
/// Responses API (`POST /v1/responses`, OpenAI's dialect, another endpoint); the model as the client named it
/// (`demo-chat` and a pinned `sim-fast/demo-chat` are different entries); the client headers passed on to the
/// provider (`anthropic-version`, `anthropic-beta`: they can change the answer); then the body, canonical
/// (``CanonicalJSON``) without the fields that do not change the answer (``excludedFields``).
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    /// The digest as 64 lowercase hex digits (the Redis key's suffix, and the log's).
    public let hex: String

    /// Top-level body fields left out of the key, per dialect: they say how the answer is delivered or who asked,
    /// not what it says. `stream` (a hit answers streaming or not, whichever filled it), OpenAI's
    /// `stream_options` (the usage chunk is written or not at replay), `user`, `metadata`, `store` and
    /// `service_tier`; Anthropic's `stream` and `metadata`; the model (the key holds the client's model name
    /// apart, and Gemini has it in the path). Gemini's stream choice is in the path too.
    public static let excludedFields: [Dialect: Set<String>] = [
        .openai: ["model", "stream", "stream_options", "user", "metadata", "store", "service_tier"],
        .anthropic: ["model", "stream", "metadata"],
        .gemini: ["model"],
    ]

    /// Top-level fields of a Responses API body left out of the key: how the answer is delivered (`stream`,
    /// `stream_options`), who asked (`user`, `metadata`, echoed from the request that asks, never from the entry),
    /// whether it is stored (`store`: a hit is stored under its own new id when its request asks), `service_tier`,
    /// and the model. `previous_response_id` stays in: the stored conversation it names changes the answer.
    public static let excludedResponsesFields: Set<String> = [
        "model", "stream", "stream_options", "user", "metadata", "store", "service_tier",
    ]

    /// The key of a request, and whether the request asks for a deterministic answer (``Canonical/isDeterministic``).
    public struct Canonical: Sendable {
        public let key: CacheKey
        /// `temperature` 0, or a `seed` given: the same request should get the same answer. Without either the
        /// provider samples at its default temperature (above 0 in every dialect), and the answer is caching one
        /// draw of many: only done when the policy says `nondeterministic: true`.
        public let isDeterministic: Bool
    }

    /// Computes the key of a request in `dialect` (to the Responses API when `responses`); nil when the body is
    /// not JSON (never for an admitted request).
    public static func make(
        tenant: String, dialect: Dialect, model: String, passedOn: [(name: String, value: String)],
        body: UnsafeBufferPointer<UInt8>, responses: Bool = false
    ) -> Canonical? {
        let excluded = responses ? excludedResponsesFields : (excludedFields[dialect] ?? [])
        guard let canonical = try? CanonicalJSON(body, excluding: excluded) else { return nil }
        var hasher = SHA256()
        // Each part hashed from the string's own UTF-8 storage: no array made per part.
        func part(_ text: String) {
            var text = text
            text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
        }
        part("edge-cache-v1")
        part(tenant)
        part(dialect.rawValue)
        if responses { part("responses") }
        part(model)
        for header in passedOn {
            part(header.name)
            part(header.value)
        }
        withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
        hasher.update(data: canonical.bytes)
        let digest = hasher.finalize()
        let deterministic = canonical.hasSeed || canonical.temperature == 0
        return Canonical(key: CacheKey(hex: digest.withUnsafeBytes { Hex.string($0) }), isDeterministic: deterministic)
    }

    public var description: String { hex }
}
