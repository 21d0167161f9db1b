#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import RoutingCore

/// Sits first on the listening socket's pipeline and decides, for each accepted connection, whether it may stay:
/// at most `max_connections_per_client` per client address (loopback included), and never so many that the file
/// descriptors kept in reserve for upstream connections are eaten. A refused connection is closed at once.
///
/// It also handles accept errors. Out of descriptors (EMFILE, ENFILE), an accept fails and leaves the connection in
/// the listening socket's backlog; NIO keeps its read pending, so the still-readable socket wakes the loop at once
/// and the accept fails again: a spin at 100 % CPU while new clients hang (`AcceptBackoffHandler` only delays the
/// next read, not the one pending). So this handler keeps one spare descriptor: on such an error it closes the spare,
/// the next accept succeeds, that connection is closed at once (shed), and the spare is taken again once it is
/// closed. While no spare is at hand (a shed connection is still closing), accepting pauses: the listening socket is
/// taken out of the event loop's interest (`autoRead` off) until a descriptor is freed or 100 ms have passed. The
/// backlog drains, clients are refused instead of left hanging, and the loop never spins. Each error is counted, and
/// logged at most once every ten seconds.
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
    private var openConnections = 0
    private var lastErrorLog: NIODeadline?
    private var unloggedErrors = 0
    /// The spare descriptor (on `/dev/null`), or -1 while it is given up.
    private var spare: CInt = -1
    /// The spare was given up for the next accepted connection, which is to be shed.
    private var shedNext = false
    /// The listening socket, while this handler is in its pipeline.
    private var listener: (any Channel)?
    /// Accepting is paused until this fires (or a descriptor is freed first).
    private var resumeTimer: Scheduled<Void>?
    /// A shed connection is closing: accepting stays paused until its descriptor is the spare again.
    private var shedClosing = false

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

    func handlerAdded(context: ChannelHandlerContext) {
        listener = context.channel
        takeSpare()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        resumeAccepting()
        listener = nil
        if spare >= 0 { close(spare) }
        spare = -1
    }

    private func pauseAccepting() {
        guard resumeTimer == nil, let listener else { return }
        try? listener.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        let box = NIOLoopBound(self, eventLoop: listener.eventLoop)
        resumeTimer = listener.eventLoop.scheduleTask(in: .milliseconds(100)) { box.value.pauseEnded() }
    }

    private func pauseEnded() {
        resumeTimer = nil
        if shedClosing {
            pauseAccepting()
        } else {
            try? listener?.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }

    /// Accepts again after a pause (a descriptor was freed, or the pause is over); nothing when not paused.
    private func resumeAccepting() {
        guard !shedClosing, let timer = resumeTimer else { return }
        timer.cancel()
        resumeTimer = nil
        try? listener?.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
    }

    private func takeSpare() {
        guard spare < 0 else { return }
        spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        if shedNext {
            // Accepted with the spare's descriptor: close it, and take the spare again once it is free.
            shedNext = false
            refuse(child, .descriptorReserve)
            // No accept until its descriptor is free and the spare taken again: an accept in between would take it.
            pauseAccepting()
            shedClosing = true
            let box = NIOLoopBound(self, eventLoop: context.eventLoop)
            child.closeFuture.hop(to: context.eventLoop).whenComplete { _ in
                box.value.shedClosing = false
                box.value.takeSpare()
                box.value.resumeAccepting()
            }
            return
        }
        let client = child.remoteAddress?.ipAddress ?? ""
        let count = perClient[client, default: 0]
        if openConnections >= maxConnections {
            refuse(child, .descriptorReserve)
            return
        }
        if maxPerClient > 0, count >= maxPerClient {
            refuse(child, .perClientLimit)
            return
        }
        perClient[client] = count + 1
        openConnections += 1
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
        openConnections -= 1
        takeSpare()
        resumeAccepting()
        metrics.connectionClosed()
        let count = perClient[client, default: 1] - 1
        perClient[client] = count > 0 ? count : nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError {
            metrics.recordAcceptError()
            logAcceptError(error)
            if error.errnoCode == EMFILE || error.errnoCode == ENFILE {
                takeSpare()  // a spare given up earlier whose connection has closed since
                if spare >= 0 {
                    close(spare)
                    spare = -1
                    shedNext = true
                } else {
                    pauseAccepting()
                }
            }
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
            "accepting connections failed; shedding new connections while out of descriptors",
            metadata: [
                "error": "\(error.description)", "errors_since_last_line": "\(unloggedErrors)",
                "open_connections": "\(openConnections)",
            ])
        lastErrorLog = now
        unloggedErrors = 0
    }
}
