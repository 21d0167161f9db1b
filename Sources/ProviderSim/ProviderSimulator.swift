import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A simulated LLM provider speaking OpenAI chat completions, Anthropic Messages or Google Gemini (see
/// ``SimulatorSettings/dialect``), with scriptable latency and faults.
///
/// It stands in for the paid APIs that tests and benchmarks cannot reach: `POST /v1/chat/completions`, or
/// `POST /v1/messages`, or `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent` (streaming
/// and not, with thinking, tool calls and several choices when asked), `POST /_sim/config` to change its
/// behaviour while it runs, `GET /_sim/stats` for counters, `POST /_sim/reset` to zero them. It is a `Service`;
/// run it in a `ServiceGroup` or on its own.
///
/// It is built to stay out of the way of benchmarks: a plain SwiftNIO HTTP/1.1 server whose streams are driven
/// by one timer per event loop (see `Internal/`), so thousands of concurrent streams cost little CPU.
public final class ProviderSimulator: Service, Sendable {
    /// A pthread mutex, which the thread sanitizer sees (see `DeploymentRuntime.state` in EdgeRouter).
    let state: NIOLockedValueBox<SimulatorState>
    let host: String
    let requestedPort: Int
    let eventLoopGroup: any EventLoopGroup
    /// Serves HTTPS with this certificate when set (see ``SimulatorTLS``).
    let tls: SimulatorTLS?
    private let boundPort = Atomic<Int>(0)
    let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - port: the port to listen on; 0 picks a free one (read it from ``port`` or `onListening`).
    public convenience init(
        host: String = "127.0.0.1",
        port: Int = 0,
        settings: SimulatorSettings = .init(),
        tls: SimulatorTLS? = nil,
        logger: Logger = Logger(label: "provider-sim"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.init(
            host: host, port: port, settings: settings, eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            tls: tls, logger: logger, onListening: onListening)
    }

    /// - Parameters:
    ///   - port: the port to listen on; 0 picks a free one (read it from ``port`` or `onListening`).
    ///   - eventLoopGroup: the loops that serve connections; every loop of the group is used.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        settings: SimulatorSettings = .init(),
        eventLoopGroup: any EventLoopGroup,
        tls: SimulatorTLS? = nil,
        logger: Logger = Logger(label: "provider-sim"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.tls = tls
        self.host = host
        self.requestedPort = port
        self.state = NIOLockedValueBox(SimulatorState(settings: settings))
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
    }

    /// The bound port, once listening.
    public var port: Int { boundPort.load(ordering: .relaxed) }

    /// The current behaviour.
    public var settings: SimulatorSettings { state.withLockedValue { $0.settings } }

    /// Changes the behaviour; a changed seed restarts the random sequence.
    public func update(_ change: (inout SimulatorSettings) -> Void) {
        state.withLockedValue { state in
            let seed = state.settings.seed
            change(&state.settings)
            if state.settings.seed != seed { state.random = SeededRandom(seed: state.settings.seed) }
        }
    }

    /// The counters so far.
    public var stats: SimulatorStats { state.withLockedValue { $0.stats } }

    /// The headers of the last chat request received (names as the client sent them), or nil before the first;
    /// lets a test check what a client of the simulator sent, its credentials for one.
    public var lastChatHeaders: [(name: String, value: String)]? {
        state.withLockedValue { $0.lastChatHeaders }.map { headers in headers.map { (name: $0.name, value: $0.value) } }
    }

    /// Waits until the counters satisfy `predicate` (for example, a request was cancelled by its client) and
    /// returns them; an event to await rather than a condition to poll.
    ///
    /// The wait is bounded, so a regression fails a test instead of hanging it: after `timeout`, or when the
    /// waiting task is cancelled, it returns the counters as they are then. Check them with the same predicate.
    public func waitForStats(
        timeout: Duration = .seconds(30),
        _ predicate: @escaping @Sendable (SimulatorStats) -> Bool
    ) async -> SimulatorStats {
        let id = state.withLockedValue { state in
            state.lastWaiterID += 1
            return state.lastWaiterID
        }
        let timer = eventLoopGroup.next().scheduleTask(in: TimeAmount(timeout)) {
            self.state.withLockedValue { $0.resumeWaiter(id) }
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLockedValue { state in
                    if predicate(state.stats) || Task.isCancelled {
                        continuation.resume(returning: state.stats)
                    } else {
                        state.waiters.append(.init(id: id, predicate: predicate, continuation: continuation))
                    }
                }
            }
        } onCancel: {
            state.withLockedValue { $0.resumeWaiter(id) }
        }
    }

    /// Listens until a graceful shutdown or cancellation. A graceful shutdown stops accepting, closes idle
    /// connections and lets responses in flight finish (streams included) before closing theirs; cancellation
    /// closes every connection at once.
    public func run() async throws {
        let server = try await SimulatorServer.start(
            host: host, port: requestedPort, group: eventLoopGroup, tls: try tls?.makeContext(), simulator: self)
        boundPort.store(server.port, ordering: .relaxed)
        logger.debug("provider simulator listening", metadata: ["port": "\(server.port)"])
        await withTaskCancellationHandler {
            await onListening(server.port)
            await withGracefulShutdownHandler {
                await server.waitUntilClosed()
            } onGracefulShutdown: {
                server.quiesce()
            }
        } onCancel: {
            server.closeAll()
        }
    }
}
