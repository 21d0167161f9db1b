import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A few connections to one Redis, used round-robin (each carries commands in order). A slot whose connection
/// failed reconnects on its next use, after a backoff that doubles from 50 ms to 5 s while connecting keeps
/// failing; while it backs off, commands on it fail at once (``EdgeRouterError/Code/sharedCacheUnavailable``): a Redis that is down
/// costs a lookup nothing but a failed future.
final class RedisPool: Sendable {
    private enum Slot {
        case idle
        /// Connecting; `backoff` is the delay of the failure before, if any (the next failure doubles it).
        case connecting(EventLoopFuture<RedisConnection>, backoff: TimeAmount?)
        case ready(RedisConnection)
        case backingOff(until: NIODeadline, delay: TimeAmount)
    }

    let settings: RedisSettings
    private let group: any EventLoopGroup
    private let logger: Logger
    private let slots: Mutex<[Slot]>
    private let nextSlot = Atomic<Int>(0)
    private let onError: @Sendable (String) -> Void

    static let firstBackoff = TimeAmount.milliseconds(50)
    static let maxBackoff = TimeAmount.seconds(5)

    init(
        settings: RedisSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        onError: @escaping @Sendable (String) -> Void
    ) {
        self.settings = settings
        self.group = group
        self.logger = logger
        self.onError = onError
        self.slots = Mutex(Array(repeating: .idle, count: max(1, settings.poolSize)))
    }

    /// Sends a command on the next connection; fails with an ``EdgeRouterError`` of the shared tier's codes (never hangs past the timeout).
    func send(_ arguments: [[UInt8]]) -> EventLoopFuture<RESPValue> {
        let index = nextSlot.add(1, ordering: .relaxed).oldValue
        let slotCount = slots.withLock { $0.count }
        let slot = ((index % slotCount) + slotCount) % slotCount
        let timeout = settings.timeout
        return connection(slot).flatMap { connection in
            connection.send(arguments, timeout: timeout)
        }.flatMapThrowing { reply in
            if case .error(let message) = reply { throw EdgeRouterError.redisRefused(message) }
            return reply
        }
    }

    /// The slot's connection: the ready one, the one being made, or a new one (unless backing off).
    private func connection(_ slot: Int) -> EventLoopFuture<RedisConnection> {
        let loop = group.next()
        enum Step {
            case use(RedisConnection)
            case wait(EventLoopFuture<RedisConnection>)
            case refuse
            case connect(EventLoopPromise<RedisConnection>)
        }
        let now = NIODeadline.now()
        let step = slots.withLock { slots -> Step in
            switch slots[slot] {
            case .ready(let connection) where connection.isActive:
                return .use(connection)
            case .connecting(let future, _):
                return .wait(future)
            case .backingOff(let until, _) where until > now:
                return .refuse
            case .backingOff(_, let delay):
                let promise = loop.makePromise(of: RedisConnection.self)
                slots[slot] = .connecting(promise.futureResult, backoff: delay)
                return .connect(promise)
            case .idle, .ready:
                let promise = loop.makePromise(of: RedisConnection.self)
                slots[slot] = .connecting(promise.futureResult, backoff: nil)
                return .connect(promise)
            }
        }
        switch step {
        case .use(let connection): return loop.makeSucceededFuture(connection)
        case .wait(let future): return future
        case .refuse: return loop.makeFailedFuture(EdgeRouterError.redisUnavailable)
        case .connect(let promise):
            open(on: loop).whenComplete { result in
                switch result {
                case .success(let connection):
                    self.slots.withLock { $0[slot] = .ready(connection) }
                    self.logger.info("redis: connected", metadata: ["slot": "\(slot)"])
                case .failure(let error):
                    let delay = self.slots.withLock { slots -> TimeAmount in
                        var delay = Self.firstBackoff
                        if case .connecting(_, let previous?) = slots[slot] { delay = min(previous * 2, Self.maxBackoff) }
                        slots[slot] = .backingOff(until: .now() + delay, delay: delay)
                        return delay
                    }
                    self.onError("connect")
                    self.logger.warning(
                        "redis: cannot connect; cache lookups miss meanwhile",
                        metadata: ["error": "\(Self.describe(error))", "retry_ms": "\(delay.nanoseconds / 1_000_000)"])
                }
                promise.completeWith(result)
            }
            return promise.futureResult
        }
    }

    /// A new connection, authenticated and on its database when the settings say so.
    private func open(on loop: any EventLoop) -> EventLoopFuture<RedisConnection> {
        let settings = self.settings
        return RedisConnection.connect(host: settings.host, port: settings.port, timeout: settings.timeout, group: loop)
            .flatMap { connection in
                var setup: [[[UInt8]]] = []
                if let password = settings.password {
                    setup.append([Array("AUTH".utf8)] + (settings.username.map { [Array($0.utf8)] } ?? []) + [Array(password.utf8)])
                }
                if let database = settings.database { setup.append([Array("SELECT".utf8), Array(String(database).utf8)]) }
                var ready = loop.makeSucceededVoidFuture()
                for command in setup {
                    ready = ready.flatMap {
                        connection.send(command, timeout: settings.timeout).flatMapThrowing { reply in
                            if case .error(let message) = reply {
                                connection.close()
                                // The server's word, never the password.
                                throw EdgeRouterError.redisRefused(String(message.prefix(80)))
                            }
                        }
                    }
                }
                return ready.map { connection }
            }
    }

    /// Closes every connection.
    func close() {
        let connections = slots.withLock { slots -> [RedisConnection] in
            let ready = slots.compactMap { slot -> RedisConnection? in
                if case .ready(let connection) = slot { return connection }
                return nil
            }
            for index in slots.indices { slots[index] = .idle }
            return ready
        }
        for connection in connections { connection.close() }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? EdgeRouterError { return error.message }
        return "\(type(of: error)): \(error)"
    }
}
