#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore

/// Sits first on the listening socket's pipeline and decides, for each accepted connection, whether it may stay:
/// at most `max_connections_per_client` per client address (loopback included), and never so many that the file
/// descriptors kept in reserve for upstream connections are eaten. A refused connection is closed at once.
///
/// It also watches accept errors: out of descriptors (EMFILE, ENFILE) or memory, the accept fails and NIO's
/// `AcceptBackoffHandler` (installed by the bootstrap, after this handler) pauses accepting for a second instead of
/// spinning; this handler counts each error and logs them, at most one line every ten seconds.
///
/// All of its state lives on the listening socket's event loop: no lock.
final class AcceptGuard: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let maxPerClient: Int
    private let maxConnections: Int
    private let metrics: ConnectionMetrics
    private let logger: Logger
    private var perClient: [String: Int] = [:]
    private var open = 0
    private var lastErrorLog: NIODeadline?
    private var unloggedErrors = 0

    /// - Parameter openFilesLimit: the process's open-files limit (nil: unknown or unlimited).
    init(limits: ConnectionLimits, openFilesLimit: Int?, metrics: ConnectionMetrics, logger: Logger) {
        self.maxPerClient = limits.maxPerClient
        self.maxConnections = openFilesLimit.map { max(1, $0 - limits.descriptorReserve) } ?? .max
        self.metrics = metrics
        self.logger = logger
    }

    /// The soft open-files limit of the process, or nil when unlimited.
    static func openFilesLimit() -> Int? {
        var limit = rlimit()
        // RLIM_INFINITY is the largest value: anything past Int.max is as good as unlimited.
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < rlim_t(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        let client = child.remoteAddress?.ipAddress ?? ""
        let count = perClient[client, default: 0]
        if open >= maxConnections {
            refuse(child, .descriptorReserve)
            return
        }
        if maxPerClient > 0, count >= maxPerClient {
            refuse(child, .perClientLimit)
            return
        }
        perClient[client] = count + 1
        open += 1
        metrics.connectionOpened()
        let loop = context.eventLoop
        let box = NIOLoopBound(self, eventLoop: loop)
        child.closeFuture.hop(to: loop).whenComplete { _ in box.value.closed(client) }
        context.fireChannelRead(data)
    }

    private func refuse(_ child: any Channel, _ reason: ConnectionMetrics.Refusal) {
        metrics.recordRefusal(reason)
        child.close(promise: nil)
    }

    private func closed(_ client: String) {
        open -= 1
        metrics.connectionClosed()
        let count = perClient[client, default: 1] - 1
        perClient[client] = count > 0 ? count : nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError {
            metrics.recordAcceptError()
            logAcceptError(error)
        }
        context.fireErrorCaught(error)
    }

    /// Logs an accept error, or counts it for the next line when one was logged less than ten seconds ago: at the
    /// descriptor limit, accepts fail once a second for as long as it lasts.
    private func logAcceptError(_ error: IOError) {
        let now = NIODeadline.now()
        if let last = lastErrorLog, now - last < .seconds(10) {
            unloggedErrors += 1
            return
        }
        logger.error(
            "accepting connections failed; pausing accepts for a second",
            metadata: [
                "error": "\(error.description)", "errors_since_last_line": "\(unloggedErrors)",
                "open_connections": "\(open)",
            ])
        lastErrorLog = now
        unloggedErrors = 0
    }
}
