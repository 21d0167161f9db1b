import Dispatch
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import Probe

extension ProbeTests {
    @Suite struct AsyncShutdown {
        @Test func shutdownFromAnEventLoopLeavesTheLoopFreeDuringTheDrain() async throws {
            let gate = DrainGate(message: "probe engine thread stopped", limit: .seconds(5))
            let engine = try ProbeEngine(configuration: .init(threadName: "probe-t-drain"), logger: gate.logger())
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let caller = EventLoopCaller(loop: group.next())

            // The drain waits (up to 5 s) for a job queued on the caller's own event loop: only a shutdown that
            // suspends, rather than blocking the loop's thread until the engine thread exits, lets that job run.
            await caller.shutdown(engine) { gate.open() }
            #expect(gate.openedInTime)
            #expect(try await ThreadInspector.threadsAfterExit(named: "probe-t-drain") == 0)
            try await group.shutdownGracefully()
        }

        @Test func shutdownWaitersAllReturnOnceTheThreadHasExited() async throws {
            let engine = try ProbeEngine(configuration: .init(threadName: "probe-t-waiters"))
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { await engine.shutdown() } }
            }
            // Once more after the exit: returns at once.
            await engine.shutdown()
            #expect(try await ThreadInspector.threadsAfterExit(named: "probe-t-waiters") == 0)
        }
    }
}

/// An actor whose jobs run on a NIO event loop, as a server's code does.
private actor EventLoopCaller {
    let loop: any EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    init(loop: any EventLoop) { self.loop = loop }

    /// Queues `job` on the loop behind this call, then shuts `engine` down from the loop.
    func shutdown(_ engine: ProbeEngine, queueing job: @escaping @Sendable () -> Void) async {
        loop.execute(job)
        await engine.shutdown()
    }
}

/// Holds the engine thread at one log message until `open()` is called (or `limit` passes), so the test controls
/// how long the shutdown drain lasts.
private final class DrainGate: Sendable {
    private let message: String
    private let limit: Duration
    private let opened = DispatchSemaphore(value: 0)
    private let result = Mutex<Bool?>(nil)

    init(message: String, limit: Duration) {
        self.message = message
        self.limit = limit
    }

    /// Whether `open()` came while the engine thread was held, before the limit.
    var openedInTime: Bool { result.withLock { $0 } ?? false }

    func open() { opened.signal() }

    func logger() -> Logger {
        var logger = Logger(label: "probe-drain") { _ in GateHandler(gate: self) }
        logger.logLevel = .debug
        return logger
    }

    fileprivate func hold(_ logged: String) {
        guard logged == message else { return }
        let milliseconds = Int(limit.components.seconds) * 1000
        let inTime = opened.wait(timeout: .now() + .milliseconds(milliseconds)) == .success
        result.withLock { $0 = inTime }
    }
}

private struct GateHandler: LogHandler {
    let gate: DrainGate
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        gate.hold("\(event.message)")
    }
}
