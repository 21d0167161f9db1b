import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One event loop's connections to one provider: the idle ones (the most recently used first, so that few stay
/// warm and the rest time out), and the connecting of new ones.
///
/// `@unchecked Sendable` is safe because `idle` is touched on `eventLoop` only; what the loops share is in the
/// ``UpstreamPoolBudget``, which is thread-safe.
final class UpstreamLoopPool: @unchecked Sendable {
    typealias Done = @Sendable (Result<UpstreamConnection, UpstreamConnectionError>) -> Void

    /// A request waiting for the limit to allow a connection.
    struct Waiter: Sendable {
        let home: UpstreamLoopPool
        let done: Done
    }

    let eventLoop: any EventLoop
    private let budget: UpstreamPoolBudget
    private var idle: [UpstreamConnection] = []

    init(eventLoop: any EventLoop, budget: UpstreamPoolBudget) {
        self.eventLoop = eventLoop
        self.budget = budget
    }

    /// Idle connections on this loop (for tests and the status of the pool).
    var idleCount: Int { idle.count }

    /// An idle connection (unless `fresh`) or a new one for `done`. Returns true when the request waits: the
    /// limit is reached.
    func acquire(fresh: Bool, _ done: @escaping Done) -> Bool {
        guard !budget.isShutDown else {
            done(.failure(UpstreamConnectionError(.shutDown)))
            return false
        }
        if !fresh, let connection = takeIdle() {
            done(.success(connection))
            return false
        }
        guard budget.reserve() else {
            budget.enqueue(Waiter(home: self, done: done))
            return true
        }
        connect(done)
        return false
    }

    /// A waiting request's turn (on this loop): an idle connection, a new one, or back to the head of the line.
    func serve(_ waiter: Waiter) {
        if budget.isShutDown {
            waiter.done(.failure(UpstreamConnectionError(.shutDown)))
        } else if let connection = takeIdle() {
            waiter.done(.success(connection))
        } else if budget.reserve() {
            connect(waiter.done)
        } else {
            budget.enqueue(waiter, first: true)
        }
    }

    /// A connection's response ended and it may carry another: to a request waiting on this loop, or idle. A
    /// request waiting on another loop gets the connection's place instead (it is closed; its close wakes the
    /// request), since a connection never changes loops.
    func release(_ connection: UpstreamConnection) {
        if budget.isShutDown {
            connection.close()
            return
        }
        if let waiter = budget.dequeue() {
            if waiter.home === self {
                waiter.done(.success(connection))
            } else {
                budget.enqueue(waiter, first: true)
                connection.close()
            }
            return
        }
        if idle.count >= budget.idleLimit {
            // Full: the least recently used goes, the warm one stays.
            idle.removeFirst().close()
        }
        connection.idleSince = .now()
        idle.append(connection)
        if connection.idleTimer == nil { armIdleTimer(connection, in: budget.idleTimeout) }
    }

    /// An adopted connection closed (the provider, an error, or the pool closed it).
    func closed(_ connection: UpstreamConnection) {
        if let index = idle.lastIndex(where: { $0 === connection }) { idle.remove(at: index) }
        connection.idleTimer?.cancel()
        connection.idleTimer = nil
        budget.unreserve()
        budget.wakeWaiter()
    }

    /// Closes the least recently used idle connection, for a request waiting on another loop.
    func closeOneIdle() {
        guard !idle.isEmpty else { return }
        idle.removeFirst().close()
    }

    /// Closes every idle connection (shutdown).
    func closeIdle() {
        let all = idle
        idle.removeAll()
        for connection in all { connection.close() }
    }

    private func takeIdle() -> UpstreamConnection? {
        while let connection = idle.popLast() {
            if connection.isUsable { return connection }
            // Closed by the provider, its close not yet seen: it goes when it is.
            connection.close()
        }
        return nil
    }

    /// At most one timer per connection: armed when it goes idle with none pending; when it fires, a connection
    /// used and idle again meanwhile waits out the rest of its timeout, and a busy one lets the timer lapse (its
    /// next release arms one). So a connection reused by every request costs no timer per request.
    private func armIdleTimer(_ connection: UpstreamConnection, in delay: TimeAmount) {
        connection.idleTimer = eventLoop.scheduleTask(in: delay) { [self] in
            connection.idleTimer = nil
            guard connection.isUsable, idle.contains(where: { $0 === connection }) else { return }
            let idleFor = NIODeadline.now() - connection.idleSince
            if idleFor >= budget.idleTimeout {
                idle.removeAll { $0 === connection }
                connection.close()
            } else {
                // Used since the timer was set, and idle again: wait out the rest.
                armIdleTimer(connection, in: budget.idleTimeout - idleFor)
            }
        }
    }

    /// Opens a connection (counted already) and hands it to `done`.
    private func connect(_ done: @escaping Done) {
        let budget = budget
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(budget.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls = budget.tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: budget.origin.tlsServerName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(UpstreamConnection(home: self))
                }
            }
        bootstrap.connect(host: budget.origin.host, port: budget.origin.port).whenComplete { [self] result in
            switch result {
            case .success(let channel):
                do {
                    let connection = try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
                    connection.isAdopted = true
                    if !channel.isActive {
                        // Closed before it could be adopted: its close was not counted.
                        connection.isAdopted = false
                        throw ChannelError.ioOnClosedChannel
                    }
                    done(.success(connection))
                } catch {
                    channel.close(promise: nil)
                    budget.unreserve()
                    budget.wakeWaiter()
                    done(.failure(UpstreamConnectionError(.connect(error, target: budget.origin.authority))))
                }
            case .failure(let error):
                budget.unreserve()
                budget.wakeWaiter()
                done(.failure(UpstreamConnectionError(.connect(error, target: budget.origin.authority))))
            }
        }
    }
}
