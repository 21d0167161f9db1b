import NIOCore
import Synchronization

/// Tells a request when its client goes away, so upstream work stops at once.
///
/// A ``ConnectionCloseHandler`` in each connection's pipeline reports when the client closes its side (the
/// server allows half-closure, so that arrives as `inputClosed` long before the channel itself closes) or the
/// connection drops; each request swaps in its own hook while it runs.
final class DisconnectMonitor: Sendable {
    typealias Hook = @Sendable () -> Void

    /// Open connections, each with the hook of the request it is serving (if any).
    private let connections = Mutex<[ObjectIdentifier: Hook?]>([:])

    /// A request's interest in its connection closing.
    struct Registration: Sendable {
        fileprivate let id: ObjectIdentifier
        fileprivate let monitor: DisconnectMonitor

        /// The request is over: its hook is dropped (the connection may serve the next request).
        func end() {
            monitor.connections.withLock { table in
                if table[id] != nil { table[id] = .some(nil) }
            }
        }
    }

    /// Calls `onDisconnect` if the client leaves before the registration ends (at once if it already has).
    func watch(_ channel: any Channel, onDisconnect: @escaping Hook) -> Registration {
        let id = ObjectIdentifier(channel)
        let isOpen = connections.withLock { table in
            guard table[id] != nil else { return false }
            table[id] = .some(onDisconnect)
            return true
        }
        if !isOpen { onDisconnect() }
        return Registration(id: id, monitor: self)
    }

    fileprivate func opened(_ id: ObjectIdentifier) {
        connections.withLock { $0[id] = .some(nil) }
    }

    fileprivate func closed(_ id: ObjectIdentifier) {
        // Removed before the channel can be freed, so an identifier is never reused while its entry exists.
        let hook = connections.withLock { $0.removeValue(forKey: id) }
        hook??()
    }
}

/// Reports a connection's end to the ``DisconnectMonitor``: the client closing its side, or the connection
/// going away. One per connection, placed after HTTP decoding; it passes everything through.
final class ConnectionCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let monitor: DisconnectMonitor

    init(monitor: DisconnectMonitor) {
        self.monitor = monitor
    }

    func handlerAdded(context: ChannelHandlerContext) {
        monitor.opened(ObjectIdentifier(context.channel))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { monitor.closed(ObjectIdentifier(context.channel)) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        monitor.closed(ObjectIdentifier(context.channel))
        context.fireChannelInactive()
    }
}
