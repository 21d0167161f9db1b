import Yams

extension CatalogBuilder {
    /// `server.timeouts`: `client_stall_ms`, how long a client may stop reading its stream before it is cut
    /// (``ServerSettings/clientStallTimeout``).
    func serverTimeouts(_ entry: (node: Node, path: String), into settings: inout ServerSettings) {
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: ["client_stall_ms"]) else { return }
        settings.clientStallTimeout = reader.milliseconds(fields["client_stall_ms"], default: settings.clientStallTimeout)
    }
}
