import Synchronization

/// Every deployment's recent history, keyed by ``RoutingCore/Deployment/key``: one ``HistoryRing`` each, made up
/// front for the configuration's deployments. Written by the status service's sampler, read by page renders.
final class StatusHistory: Sendable {
    private let rings: Mutex<[String: HistoryRing]>

    init(deploymentKeys: [String], capacity: Int) {
        rings = Mutex(Dictionary(deploymentKeys.map { ($0, HistoryRing(capacity: capacity)) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Keeps the history of the deployments of `deploymentKeys` that have one, starts an empty one for each new
    /// deployment, and drops the rest (after a configuration reload).
    func follow(deploymentKeys: [String], capacity: Int) {
        rings.withLock { rings in
            var next: [String: HistoryRing] = [:]
            for key in deploymentKeys where next[key] == nil { next[key] = rings[key] ?? HistoryRing(capacity: capacity) }
            rings = next
        }
    }

    /// Records one sample per deployment (deployments not in the configuration are ignored).
    func record(_ samples: [(key: String, sample: StatusSample)]) {
        rings.withLock { rings in
            for (key, sample) in samples { rings[key]?.append(sample) }
        }
    }

    /// A copy of every deployment's history, for one render.
    func copy() -> [String: HistoryRing] {
        rings.withLock { $0 }
    }
}
