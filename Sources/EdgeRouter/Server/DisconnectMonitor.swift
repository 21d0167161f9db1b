import NIOCore
import Synchronization

/// Tells a request when its client connection closes, so upstream work stops at once.
///
/// Each connection's `closeFuture` gets one callback for its whole life (not one per request, which would pile
/// up on long keep-alive connections); each request swaps in its own hook while it runs.
final class DisconnectMonitor: Sendable {
    private let hooks = Mutex<[ObjectIdentifier: (@Sendable () -> Void)?]>([:])

    /// A request's interest in its connection closing.
    struct Registration: Sendable {
        fileprivate let id: ObjectIdentifier
        fileprivate let monitor: DisconnectMonitor

        /// The request is over: its hook is dropped.
        func end() {
            monitor.hooks.withLock { table in
                if table[id] != nil { table[id] = .some(nil) }
            }
        }
    }

    /// Calls `onDisconnect` if `channel` closes before the registration ends.
    func watch(_ channel: any Channel, onDisconnect: @escaping @Sendable () -> Void) -> Registration {
        let id = ObjectIdentifier(channel)
        let isNewConnection = hooks.withLock { table in
            let isNew = table[id] == nil
            table[id] = .some(onDisconnect)
            return isNew
        }
        if isNewConnection {
            // The table entry is removed when the channel closes, which happens before the channel object can
            // be freed, so an ObjectIdentifier is never reused while its entry exists.
            channel.closeFuture.whenComplete { _ in
                let hook = self.hooks.withLock { $0.removeValue(forKey: id) }
                hook??()
            }
        }
        return Registration(id: id, monitor: self)
    }
}
