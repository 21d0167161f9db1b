import RoutingCore

/// Everything a request is served with that a configuration reload may replace, frozen together: the
/// configuration (catalog, keys, routing settings, residency rules), the upstream clients for its providers, the
/// client locator with its residency rules, and the routing snapshot of its deployments.
///
/// The server holds the current one in a ``SnapshotCell``; a request loads it once, when it arrives, and keeps
/// it to its end, so a reload never changes the settings of a request (or stream) already in flight, and a
/// request never sees the keys of one file with the catalog of another.
final class ServingState: Sendable {
    let configuration: RouterConfiguration
    let clients: UpstreamClients
    let locator: ClientLocator
    let routing: RoutingSnapshot

    init(configuration: RouterConfiguration, clients: UpstreamClients, locator: ClientLocator, routing: RoutingSnapshot) {
        self.configuration = configuration
        self.clients = clients
        self.locator = locator
        self.routing = routing
    }
}

/// The server's current ``ServingState``.
typealias LiveState = SnapshotCell<ServingState>
