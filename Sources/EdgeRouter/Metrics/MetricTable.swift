import RoutingCore
import Synchronization

/// Metric objects by deployment key (or model name), made when the router is built and extended by each
/// configuration reload: a new deployment gets its series before the first request can reach it, and a removed
/// one leaves the table, so nothing updates its series any more (they stay in the scrape at their last value).
///
/// A lookup takes a mutex for the time of one dictionary read: uncontended for all but the instant of a reload.
final class MetricTable<Value: Sendable>: Sendable {
    private let entries: Mutex<[String: Value]>
    private let make: @Sendable (Model, Deployment) -> Value
    private let key: @Sendable (Deployment) -> String

    /// A table for `models`, one entry per `key` (the deployment key by default), each made by `make` once.
    init(
        models: [Model], key: @escaping @Sendable (Deployment) -> String = { $0.key },
        make: @escaping @Sendable (Model, Deployment) -> Value
    ) {
        self.make = make
        self.key = key
        entries = Mutex(Self.entries(for: models, keeping: [:], key: key, make: make))
    }

    /// The entry for a key, while its deployment (or model) is configured.
    subscript(_ key: String) -> Value? {
        entries.withLock { $0[key] }
    }

    /// Adds entries for the deployments of `models` that have none (keeping the existing ones); with
    /// `dropping`, also drops those `models` no longer have.
    func follow(_ models: [Model], dropping: Bool) {
        entries.withLock { entries in
            let next = Self.entries(for: models, keeping: entries, key: key, make: make)
            entries = dropping ? next : entries.merging(next) { kept, _ in kept }
        }
    }

    private static func entries(
        for models: [Model], keeping existing: [String: Value], key: (Deployment) -> String, make: (Model, Deployment) -> Value
    ) -> [String: Value] {
        var entries: [String: Value] = [:]
        for model in models {
            for deployment in model.deployments {
                let name = key(deployment)
                if entries[name] == nil { entries[name] = existing[name] ?? make(model, deployment) }
            }
        }
        return entries
    }
}
