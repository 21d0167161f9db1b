/// A list of provider ids from `x-edge-route`, with their ``ProviderIDHash`` hashes computed once when parsed.
public struct ProviderList: Sendable, Equatable {
    /// The ids, in the order the client gave them.
    public let ids: [String]
    /// `ProviderIDHash.hash(of: ids[i])` for each id, in the same order.
    public let hashes: [UInt64]

    /// A list of `ids`.
    public init(_ ids: [String]) {
        self.ids = ids
        hashes = ids.map { ProviderIDHash.hash(of: $0) }
    }

    /// The empty list.
    public static let empty = ProviderList([])

    /// Whether the list has no ids.
    public var isEmpty: Bool { ids.isEmpty }

    /// Whether a provider with this hash is listed.
    @inline(__always)
    public func contains(hash: UInt64) -> Bool {
        hashes.contains(hash)
    }

    /// The first position of a provider with this hash, or nil when it is not listed.
    @inline(__always)
    public func position(ofHash hash: UInt64) -> Int? {
        hashes.firstIndex(of: hash)
    }
}
