import NIOCore
import NIOPosix

/// A client connection over a raw socket, for tests of what goes over the wire: it sends bytes as given, can
/// half-close, and waits (always within a bound) for what the router answers or for the router to close.
final class RawClient: Sendable {
    /// What the client has seen so far.
    struct Seen: Sendable {
        /// Everything received, as text.
        var text = ""
        /// The router closed the connection (its output at least).
        var closed = false
    }

    let channel: any Channel
    private let collector: NIOLoopBound<Collector>

    private init(channel: any Channel, collector: NIOLoopBound<Collector>) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to the router on 127.0.0.1.
    static func connect(port: Int) async throws -> RawClient {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector())
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let collector = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: Collector.self), eventLoop: channel.eventLoop)
        }.get()
        return RawClient(channel: channel, collector: collector)
    }

    /// Sends text as it is.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Sends bytes as they are.
    func send(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(buffer)
    }

    /// Closes the sending side only (TCP shutdown(SHUT_WR)).
    func halfClose() async throws {
        try await channel.close(mode: .output)
    }

    /// Closes the connection with a reset (SO_LINGER 0): the peer sees the connection fail at once, as when a client
    /// process dies with unread data, where an orderly close would look like a half-close.
    func reset() async {
        if let provider = channel as? any SocketOptionProvider {
            try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }

    /// Closes the connection.
    func close() async {
        try? await channel.close()
    }

    /// Waits until `condition` holds of what was seen, or `timeout` passes; returns what was seen then.
    func wait(
        for timeout: Duration = .seconds(30), until condition: @escaping @Sendable (Seen) -> Bool
    ) async -> Seen {
        let collector = self.collector
        let loop = channel.eventLoop
        let future = loop.flatSubmit {
            collector.value.wait(until: condition, timeout: TimeAmount(timeout), eventLoop: loop)
        }
        return (try? await future.get()) ?? Seen()
    }

    /// Waits until the router closes the connection (or `timeout` passes).
    func waitForClose(_ timeout: Duration = .seconds(30)) async -> Seen {
        await wait(for: timeout) { $0.closed }
    }

    /// Collects what arrives and wakes the waiters whose condition it fulfils.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private struct Waiter {
            var condition: @Sendable (Seen) -> Bool
            var promise: EventLoopPromise<Seen>
            var timeout: Scheduled<Void>?
        }

        private var seen = Seen()
        private var waiters: [Int: Waiter] = [:]
        private var nextID = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            seen.text += String(buffer: buffer)
            check()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed {
                seen.closed = true
                check()
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            seen.closed = true
            check()
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A reset by the router: the connection is closed.
            seen.closed = true
            check()
            context.close(promise: nil)
        }

        func wait(
            until condition: @escaping @Sendable (Seen) -> Bool, timeout: TimeAmount, eventLoop: any EventLoop
        ) -> EventLoopFuture<Seen> {
            if condition(seen) { return eventLoop.makeSucceededFuture(seen) }
            let id = nextID
            nextID += 1
            let promise = eventLoop.makePromise(of: Seen.self)
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            let timeoutTask = eventLoop.scheduleTask(in: timeout) { bound.value.expire(id) }
            waiters[id] = Waiter(condition: condition, promise: promise, timeout: timeoutTask)
            return promise.futureResult
        }

        private func expire(_ id: Int) {
            waiters.removeValue(forKey: id)?.promise.succeed(seen)
        }

        private func check() {
            for (id, waiter) in waiters where waiter.condition(seen) {
                waiters[id] = nil
                waiter.timeout?.cancel()
                waiter.promise.succeed(seen)
            }
        }
    }
}
