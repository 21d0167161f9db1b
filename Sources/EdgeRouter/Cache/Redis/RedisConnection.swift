import NIOCore
import NIOPosix

/// One connection to Redis: commands go out in order and their replies come back in the same order (RESP has
/// no ids), so each command's promise waits in a FIFO. A reply that cannot be parsed, a command that times out,
/// or the connection closing fails every waiting command and closes the connection: after a lost reply the
/// order of those that follow cannot be trusted.
final class RedisConnection: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects to `host:port` within `timeout`.
    static func connect(
        host: String, port: Int, timeout: Duration, group: any EventLoopGroup
    ) -> EventLoopFuture<RedisConnection> {
        ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisReplyHandler())
                }
            }
            .connect(host: host, port: port)
            .map { RedisConnection(channel: $0) }
    }

    var isActive: Bool { channel.isActive }

    /// Sends one command; its reply, or a failure after `timeout` (the connection is then closed).
    func send(_ arguments: [[UInt8]], timeout: Duration) -> EventLoopFuture<RESPValue> {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let request = RedisRequest(arguments: arguments, promise: promise)
        channel.writeAndFlush(request).whenFailure { promise.fail($0) }
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(EdgeRouterError.redisTimedOut)
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// A command on its way out, with the promise of its reply.
struct RedisRequest: Sendable {
    let arguments: [[UInt8]]
    let promise: EventLoopPromise<RESPValue>
}

/// Why a Redis command gave no reply: the module's one error type, ``EdgeRouterError``, with the shared tier's
/// codes; the message says what happened (it is logged and never reaches a client).
extension EdgeRouterError {
    static let redisTimedOut = EdgeRouterError(.sharedCacheFailed, "timed out")
    static let redisClosed = EdgeRouterError(.sharedCacheFailed, "connection closed")
    /// No connection: Redis is down, or reconnecting after a failure is backing off.
    static let redisUnavailable = EdgeRouterError(.sharedCacheUnavailable, "unavailable (reconnecting)")

    static func redisMalformed(_ detail: String) -> EdgeRouterError {
        EdgeRouterError(.sharedCacheFailed, "malformed reply: \(detail)")
    }

    /// The server answered with an error (`-ERR …`, `-NOAUTH …`).
    static func redisRefused(_ message: String) -> EdgeRouterError {
        EdgeRouterError(.sharedCacheFailed, "refused: \(message)")
    }
}

/// Encodes commands and decodes replies on a Redis connection's pipeline.
final class RedisReplyHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var received = ByteBuffer()
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let parser = RESPParser()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64)
        RESPCommand.write(request.arguments, into: &buffer)
        waiting.append(request.promise)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        do throws(EdgeRouterError) {
            while let reply = try parser.next(from: &received) {
                guard let promise = waiting.popFirst() else {
                    // A reply nobody asked for: the conversation is out of step.
                    failAll(EdgeRouterError.redisMalformed("unexpected reply"))
                    context.close(promise: nil)
                    return
                }
                promise.succeed(reply)
            }
            received.discardReadBytes()
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(EdgeRouterError.redisClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
