import Prometheus

/// Client connection metrics: connections refused at accept, connections closed by a read timeout, accept errors
/// (the process out of file descriptors) and requests refused at their head. Every counter is made at start-up.
final class ConnectionMetrics: Sendable {
    /// Why a connection was refused as soon as it was accepted.
    enum Refusal: String, CaseIterable {
        /// The client address already holds `server.max_connections_per_client` connections.
        case perClientLimit = "per_client_limit"
        /// Accepting it would eat into `server.descriptor_reserve`.
        case descriptorReserve = "descriptor_reserve"
    }

    /// Which read timeout closed a connection.
    enum Timeout: String, CaseIterable {
        case header
        case body
        case idle
    }

    private let refused: [Refusal: Counter]
    private let timeouts: [Timeout: Counter]
    private let acceptErrors: Counter
    private let open: Gauge

    init(registry: PrometheusCollectorRegistry) {
        let refused = MetricNames.connectionsRefused.descriptor
        let timeouts = MetricNames.connectionTimeouts.descriptor
        let acceptErrors = MetricNames.acceptErrors.descriptor
        let open = MetricNames.clientConnections.descriptor
        self.refused = Dictionary(uniqueKeysWithValues: Refusal.allCases.map {
            ($0, registry.makeCounter(descriptor: refused, labels: [("reason", $0.rawValue)]))
        })
        self.timeouts = Dictionary(uniqueKeysWithValues: Timeout.allCases.map {
            ($0, registry.makeCounter(descriptor: timeouts, labels: [("phase", $0.rawValue)]))
        })
        self.acceptErrors = registry.makeCounter(descriptor: acceptErrors)
        self.open = registry.makeGauge(descriptor: open)
    }

    func recordRefusal(_ reason: Refusal) { refused[reason]?.increment() }
    func recordTimeout(_ phase: Timeout) { timeouts[phase]?.increment() }
    func recordAcceptError() { acceptErrors.increment() }
    func connectionOpened() { open.increment() }
    func connectionClosed() { open.decrement() }
}
