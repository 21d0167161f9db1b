/// The server's open connections and how far its shutdown has gone: the bookkeeping of ``SimulatorServer``
/// without its I/O, so the races (a connection accepted while the shutdown starts) are tested on their own.
///
/// `Connection` is what the server needs to act on one (a channel); the registry only returns them in actions.
struct ConnectionRegistry<Connection> {
    enum Phase: Equatable {
        case running
        /// A graceful shutdown: idle connections close, busy ones after their response.
        case quiescing
        /// Cancellation: everything closes now.
        case closing
    }

    private(set) var phase = Phase.running
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var listenerClosed = false
    private var finished = false

    var count: Int { connections.count }

    enum AddAction: Equatable {
        /// Serve it.
        case serve
        /// Serve what it may already have sent, then close (a graceful shutdown has begun).
        case quiesce
        /// Close it now.
        case close
    }

    /// A connection was accepted.
    mutating func add(_ id: ObjectIdentifier, _ connection: Connection) -> AddAction {
        connections[id] = connection
        switch phase {
        case .running: return .serve
        case .quiescing: return .quiesce
        case .closing: return .close
        }
    }

    /// A connection closed. True when this was the last thing the shutdown waited for.
    mutating func remove(_ id: ObjectIdentifier) -> Bool {
        connections[id] = nil
        return checkFinished()
    }

    /// The listening socket closed. Returns whether nothing else is left to wait for, and the connections to
    /// close: a listener that closed on its own (not asked to) takes the server down with it.
    mutating func listenerDidClose() -> (finished: Bool, close: [Connection]) {
        listenerClosed = true
        let close = phase == .running ? beginClosing() : []
        return (checkFinished(), close)
    }

    /// Begins a graceful shutdown; returns the connections to quiesce (none if a shutdown has begun already).
    mutating func beginQuiescing() -> [Connection] {
        guard phase == .running else { return [] }
        phase = .quiescing
        return Array(connections.values)
    }

    /// Closes everything; returns the connections to close.
    mutating func beginClosing() -> [Connection] {
        guard phase != .closing else { return Array(connections.values) }
        phase = .closing
        return Array(connections.values)
    }

    private mutating func checkFinished() -> Bool {
        guard !finished, phase != .running, listenerClosed, connections.isEmpty else { return false }
        finished = true
        return true
    }
}

extension ConnectionRegistry: Sendable where Connection: Sendable {}
