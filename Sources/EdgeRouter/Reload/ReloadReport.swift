import Foundation

/// What an applied configuration reload changed: the answer of `POST /admin/reload` and the fields of its log line.
public struct ReloadReport: Sendable, Equatable {
    /// The SHA-256 checksum of the file now served.
    public var checksum: String?
    /// The checksum of the file served before.
    public var previousChecksum: String?
    /// Deployments (`model provider/upstream-model`) the reload added: they start cold.
    public var added: [String]
    /// Deployments the reload removed: their in-flight requests finish; probes and metric updates stop.
    public var removed: [String]
    /// How many deployments the reload kept, with their estimates and breaker states.
    public var kept: Int
    /// Settings the file changed that only a restart applies (see ``RestartOnlySettings``); they keep their
    /// running values.
    public var needsRestart: [String]

    /// The JSON body of `POST /admin/reload`'s 200.
    public var json: String {
        let object: [String: Any] = [
            "status": "applied",
            "checksum": checksum ?? NSNull(),
            "previous_checksum": previousChecksum ?? NSNull(),
            "deployments": ["added": added.count, "removed": removed.count, "kept": kept],
            "added": added,
            "removed": removed,
            "needs_restart": needsRestart,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
