/// A stable 64-bit hash of a provider id (FNV-1a over its UTF-8 bytes), so the routing decision can match
/// `x-edge-route` provider lists against candidates by comparing integers, without touching strings.
///
/// Stable across processes and runs (unlike `Hasher`), so it may be computed once when the catalog is built and
/// stored in each ``CandidateView``. Collisions between the handful of provider ids of one catalog are vanishingly
/// unlikely; the catalog builder can still check ``hash(of:)`` for uniqueness and refuse a clash.
public enum ProviderIDHash {
    /// The hash of `providerID`.
    public static func hash(of providerID: some StringProtocol) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in providerID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
