/// How a new set of deployments differs from the one it replaces, by ``Deployment/key`` (model name, provider id
/// and upstream model): what a configuration reload reports and what the probes and metrics follow.
///
/// A deployment whose key stays is *kept*, even when its provider's URL, key, price or timeouts changed: it keeps
/// its TTFT estimate and breaker state. A renamed model, provider or upstream model is a removed deployment and an
/// added one, which starts cold.
public struct CatalogChange: Sendable, Equatable {
    /// Keys only the new set has, in configured order.
    public var added: [String]
    /// Keys only the old set has, sorted.
    public var removed: [String]
    /// Keys both have, in configured order.
    public var kept: [String]

    public init(added: [String], removed: [String], kept: [String]) {
        self.added = added
        self.removed = removed
        self.kept = kept
    }

    /// The change from the deployments keyed by `old` to those of `new`.
    public init(from old: some Sequence<String>, to new: [Model]) {
        let before = Set(old)
        var seen = Set<String>()
        var added: [String] = []
        var kept: [String] = []
        for deployment in new.lazy.flatMap(\.deployments) where seen.insert(deployment.key).inserted {
            if before.contains(deployment.key) { kept.append(deployment.key) } else { added.append(deployment.key) }
        }
        self.init(added: added, removed: before.subtracting(seen).sorted(), kept: kept)
    }
}

extension Deployment {
    /// Whether `other` is served exactly as this deployment is: same provider settings (dialect, URL, key,
    /// region, headers, capacity, timeouts) and price. A runtime is shared only by deployments that serve alike.
    public func servesLike(_ other: Deployment) -> Bool {
        key == other.key && price == other.price && provider.servesLike(other.provider)
    }
}

extension Provider {
    /// Whether `other` has the same settings as this provider.
    public func servesLike(_ other: Provider) -> Bool {
        id == other.id && dialect == other.dialect && baseURL == other.baseURL && apiKey == other.apiKey
            && region == other.region && capacity == other.capacity && timeouts == other.timeouts
            && headers.count == other.headers.count
            && zip(headers, other.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
