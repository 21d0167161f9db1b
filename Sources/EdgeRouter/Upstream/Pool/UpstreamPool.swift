import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One provider's keep-alive HTTP/1.1 connections, pooled per event loop: a call takes a connection of its own
/// loop (the client connection's), so a response is read, parsed and written to the client by one thread with no
/// hop, and nothing on the way takes a lock. The pool's limit counts connections across all loops.
///
/// Why not async-http-client: its pool, request bag and state machines were the largest share of the router's
/// CPU per streamed request (`docs/bench/router-profile.md`); a proxy owns its upstream pool, as nginx and Envoy do.
/// It keeps async-http-client's behaviour where the router relied on it: a connect timeout, no redirects (a
/// request is written once, to the configured origin), no decompression, idle connections closed after
/// ``idleTimeout``, a limit per provider with waiting requests, and certificates always verified (against
/// the provider's own CA bundle when it has one).
final class UpstreamPool: Sendable {
    /// How long a connection may sit idle in the pool before it is closed.
    static let defaultIdleTimeout = TimeAmount.seconds(60)
    /// Most idle connections kept per event loop (as nginx's `keepalive` caps those of a worker): after a burst of
    /// thousands of concurrent requests, the connections beyond it are closed as they come back instead of holding
    /// their descriptors and buffers until the idle timeout.
    static let defaultIdleLimit = 256

    let budget: UpstreamPoolBudget
    /// The pools of the group's loops, made up front so that finding one takes no lock.
    private let loops: [ObjectIdentifier: UpstreamLoopPool]
    /// Pools of loops outside the group (a caller on a loop of its own), made on first use.
    private let otherLoops = Mutex<[ObjectIdentifier: UpstreamLoopPool]>([:])

    /// A pool for `origin`'s connections, on the loops of `group`; `tls` when the origin is HTTPS.
    init(
        origin: UpstreamOrigin, tls: NIOSSLContext?, connectTimeout: TimeAmount, limit: Int,
        idleTimeout: TimeAmount = UpstreamPool.defaultIdleTimeout, idleLimit: Int = UpstreamPool.defaultIdleLimit,
        group: any EventLoopGroup
    ) {
        let budget = UpstreamPoolBudget(
            origin: origin, tls: tls, connectTimeout: connectTimeout, limit: max(limit, 1), idleTimeout: idleTimeout,
            idleLimit: max(idleLimit, 1))
        self.budget = budget
        var loops: [ObjectIdentifier: UpstreamLoopPool] = [:]
        for loop in group.makeIterator() {
            loops[ObjectIdentifier(loop)] = UpstreamLoopPool(eventLoop: loop, budget: budget)
        }
        self.loops = loops
    }

    /// The pool of `loop`'s connections.
    func pool(on loop: any EventLoop) -> UpstreamLoopPool {
        if let pool = loops[ObjectIdentifier(loop)] { return pool }
        return otherLoops.withLock { others in
            if let pool = others[ObjectIdentifier(loop)] { return pool }
            let pool = UpstreamLoopPool(eventLoop: loop, budget: budget)
            others[ObjectIdentifier(loop)] = pool
            return pool
        }
    }

    /// Finds a connection on `loop` (call from `loop`): an idle one unless `fresh`, a new one while the limit
    /// allows, else the first to come free. `done` is called on `loop`, once.
    func acquire(
        on loop: any EventLoop, fresh: Bool = false,
        _ done: @escaping @Sendable (Result<UpstreamConnection, UpstreamConnectionError>) -> Void
    ) {
        let home = pool(on: loop)
        guard home.acquire(fresh: fresh, done) else { return }
        // At the limit: connections idle on other loops would keep this request waiting for ever; one of them is
        // closed so that a connection can be opened here.
        for other in allPools() where other !== home {
            other.eventLoop.execute { other.closeOneIdle() }
        }
    }

    /// Connections open now, idle or busy, on every loop.
    var openConnections: Int { budget.openConnections }

    /// Closes every idle connection and every connection that comes back; requests still running finish.
    func shutdown() async {
        budget.shutDown()
        budget.failWaiters()
        for pool in allPools() {
            try? await pool.eventLoop.submit { pool.closeIdle() }.get()
        }
    }

    private func allPools() -> [UpstreamLoopPool] {
        Array(loops.values) + otherLoops.withLock { Array($0.values) }
    }
}

/// What the loops' pools of one provider share: where and how to connect, and the count of open connections
/// against the limit, with the requests waiting for one.
final class UpstreamPoolBudget: Sendable {
    let origin: UpstreamOrigin
    let tls: NIOSSLContext?
    let connectTimeout: TimeAmount
    let limit: Int
    let idleTimeout: TimeAmount
    /// Most idle connections kept per loop.
    let idleLimit: Int

    private let open = Atomic<Int>(0)
    private let waitingCount = Atomic<Int>(0)
    private let waiters = Mutex<CircularBuffer<UpstreamLoopPool.Waiter>>(CircularBuffer())
    private let closed = Atomic<Bool>(false)

    init(
        origin: UpstreamOrigin, tls: NIOSSLContext?, connectTimeout: TimeAmount, limit: Int, idleTimeout: TimeAmount, idleLimit: Int
    ) {
        self.origin = origin
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.limit = limit
        self.idleTimeout = idleTimeout
        self.idleLimit = idleLimit
    }

    var openConnections: Int { open.load(ordering: .relaxed) }
    var isShutDown: Bool { closed.load(ordering: .acquiring) }
    var hasWaiters: Bool { waitingCount.load(ordering: .relaxed) > 0 }

    func shutDown() { closed.store(true, ordering: .releasing) }

    /// Counts a connection about to be opened; false (nothing counted) at the limit.
    func reserve() -> Bool {
        if open.wrappingAdd(1, ordering: .relaxed).newValue <= limit { return true }
        open.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    /// A counted connection closed or failed to open.
    func unreserve() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    func enqueue(_ waiter: UpstreamLoopPool.Waiter, first: Bool = false) {
        waiters.withLock { waiters in
            if first { waiters.prepend(waiter) } else { waiters.append(waiter) }
        }
        waitingCount.wrappingAdd(1, ordering: .relaxed)
    }

    func dequeue() -> UpstreamLoopPool.Waiter? {
        guard hasWaiters else { return nil }
        let waiter = waiters.withLock { $0.popFirst() }
        if waiter != nil { waitingCount.wrappingSubtract(1, ordering: .relaxed) }
        return waiter
    }

    /// A connection was freed (closed, or failed to open): the first waiting request may open one on its loop.
    func wakeWaiter() {
        guard let waiter = dequeue() else { return }
        waiter.home.eventLoop.execute { waiter.home.serve(waiter) }
    }

    /// Every waiting request fails: the pool is shut down.
    func failWaiters() {
        while let waiter = dequeue() {
            waiter.home.eventLoop.execute { waiter.done(.failure(UpstreamConnectionError(.shutDown))) }
        }
    }
}
