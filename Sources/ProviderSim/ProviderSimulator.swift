import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A simulated LLM provider speaking OpenAI's chat-completions dialect, with scriptable latency and faults.
///
/// It stands in for the paid APIs that tests and benchmarks cannot reach: `POST /v1/chat/completions`
/// (streaming and not), `POST /_sim/config` to change its behaviour while it runs, `GET /_sim/stats` for
/// counters, `POST /_sim/reset` to zero them. It is a `Service`; run it in a `ServiceGroup` or on its own.
public final class ProviderSimulator: Service, Sendable {
    private struct State {
        var settings: SimulatorSettings
        var random: SeededRandom
        var stats = SimulatorStats() {
            didSet { resumeSatisfiedWaiters() }
        }
        var sequence = 0
        var waiters: [(predicate: @Sendable (SimulatorStats) -> Bool, continuation: CheckedContinuation<SimulatorStats, Never>)] = []

        mutating func resumeSatisfiedWaiters() {
            guard !waiters.isEmpty else { return }
            let stats = self.stats
            waiters.removeAll { waiter in
                guard waiter.predicate(stats) else { return false }
                waiter.continuation.resume(returning: stats)
                return true
            }
        }
    }

    private let state: Mutex<State>
    private let host: String
    private let requestedPort: Int
    private let boundPort = Atomic<Int>(0)
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - port: the port to listen on; 0 picks a free one (read it from ``port`` or `onListening`).
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        settings: SimulatorSettings = .init(),
        logger: Logger = Logger(label: "provider-sim"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.requestedPort = port
        self.state = Mutex(State(settings: settings, random: SeededRandom(seed: settings.seed)))
        self.logger = logger
        self.onListening = onListening
    }

    /// The bound port, once listening.
    public var port: Int { boundPort.load(ordering: .relaxed) }

    /// The current behaviour.
    public var settings: SimulatorSettings { state.withLock { $0.settings } }

    /// Changes the behaviour; a changed seed restarts the random sequence.
    public func update(_ change: (inout SimulatorSettings) -> Void) {
        state.withLock { state in
            let seed = state.settings.seed
            change(&state.settings)
            if state.settings.seed != seed { state.random = SeededRandom(seed: state.settings.seed) }
        }
    }

    /// The counters so far.
    public var stats: SimulatorStats { state.withLock { $0.stats } }

    /// Waits until the counters satisfy `predicate` (for example, a request was cancelled by its client) and
    /// returns them; an event to await rather than a condition to poll.
    public func waitForStats(_ predicate: @escaping @Sendable (SimulatorStats) -> Bool) async -> SimulatorStats {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                if predicate(state.stats) {
                    continuation.resume(returning: state.stats)
                } else {
                    state.waiters.append((predicate, continuation))
                }
            }
        }
    }

    public func run() async throws {
        let router = Router(context: SimulatorContext.self)
        router.post("/v1/chat/completions") { request, context in try await self.chat(request, context) }
        router.post("/chat/completions") { request, context in try await self.chat(request, context) }
        router.post("/_sim/config") { request, context in try await self.configure(request, context) }
        router.get("/_sim/config") { _, _ in Self.json(self.settings.json) }
        router.get("/_sim/stats") { _, _ in
            let stats = self.stats
            return Self.json([
                "received": stats.received, "completed": stats.completed, "cancelled": stats.cancelled,
                "failed": stats.failed, "cut": stats.cut, "in_flight": stats.inFlight,
            ])
        }
        router.post("/_sim/reset") { _, _ in
            self.state.withLock { $0.stats = SimulatorStats() }
            return Self.json(["reset": true])
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: requestedPort), serverName: nil),
            onServerRunning: { [onListening] channel in
                let port = channel.localAddress?.port ?? 0
                self.boundPort.store(port, ordering: .relaxed)
                await onListening(port)
            },
            logger: logger
        )
        try await app.run()
    }

    // MARK: Chat

    private struct Plan {
        var settings: SimulatorSettings
        var ttft: Duration
        var failWith: Int?
        var malformed: [Bool]
        var id: String
    }

    private func plan() -> Plan {
        state.withLock { state in
            state.stats.received += 1
            state.sequence += 1
            let settings = state.settings
            let fail = settings.errorRate > 0 && state.random.unit() < settings.errorRate
            let ttft = state.random.ttft(settings)
            let malformed = (0..<settings.answerTokens).map { _ in
                settings.malformedRate > 0 && state.random.unit() < settings.malformedRate
            }
            if fail { state.stats.failed += 1 } else { state.stats.inFlight += 1 }
            return Plan(
                settings: settings, ttft: .microseconds(Int64(ttft * 1000)), failWith: fail ? settings.errorStatus : nil,
                malformed: malformed, id: "chatcmpl-sim\(state.sequence)")
        }
    }

    private func end(_ how: RequestEnd) {
        state.withLock { state in
            state.stats.inFlight -= 1
            switch how {
            case .completed: state.stats.completed += 1
            case .cancelled: state.stats.cancelled += 1
            case .cut: state.stats.cut += 1
            case .failed: state.stats.failed += 1
            }
        }
    }

    private func chat(_ request: Request, _ context: SimulatorContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let model = object["model"] as? String
        else {
            return Self.error(400, "invalid request body")
        }
        let stream = (object["stream"] as? Bool) ?? false
        let includeUsage = ((object["stream_options"] as? [String: Any])?["include_usage"] as? Bool) ?? false
        let plan = plan()
        if let key = plan.settings.requiredAPIKey, request.headers[.authorization] != "Bearer \(key)" {
            end(.failed)
            return Self.error(401, "Incorrect API key provided.")
        }
        if let status = plan.failWith {
            var response = Self.error(status, "simulated failure")
            if let retryAfter = plan.settings.retryAfterSeconds, status == 429 || status == 503 {
                response.headers[.retryAfter] = String(retryAfter)
            }
            return response
        }
        let promptTokens = plan.settings.promptTokens ?? max(1, body.readableBytes / 4)
        let gap = Duration.microseconds(Int64(1_000_000 / plan.settings.tokensPerSecond))
        let created = Int(Date().timeIntervalSince1970)
        let requestBody = request.body

        if !stream {
            if plan.settings.hang {
                await Self.waitForClientToLeave(requestBody)
                end(.cancelled)
                return Self.error(504, "hang")
            }
            let tokens = plan.settings.answerTokens
            do {
                try await Task.sleep(for: plan.ttft + gap * max(tokens - 1, 0))
            } catch {
                end(.cancelled)
                throw error
            }
            let content = (0..<tokens).map(OpenAIWire.token).joined()
            end(.completed)
            let text = OpenAIWire.completion(
                id: plan.id, model: model, created: created, content: content, prompt: promptTokens, completion: tokens)
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }

        let started = ContinuousClock.now
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var ended = false
                defer { if !ended { self.end(.cancelled) } }
                func send(_ payload: String) async throws {
                    try await writer.write(ByteBuffer(string: "data: \(payload)\n\n"))
                }
                if plan.settings.roleChunk {
                    try await send(
                        OpenAIWire.chunk(
                            id: plan.id, model: model, created: created, delta: #"{"role":"assistant","content":""}"#,
                            includeUsageNull: includeUsage))
                }
                if plan.settings.hang {
                    await Self.waitForClientToLeave(requestBody)
                    return
                }
                try await Task.sleep(until: started + plan.ttft, clock: .continuous)
                for index in 0..<plan.settings.answerTokens {
                    if index > 0 { try await Task.sleep(until: started + plan.ttft + gap * index, clock: .continuous) }
                    if let cut = plan.settings.cutAfterTokens, index >= cut {
                        ended = true
                        self.end(.cut)
                        // Throwing from the body writer makes the server drop the connection mid-stream.
                        throw SimulatorError("cut after \(cut) tokens")
                    }
                    if plan.malformed[index] {
                        try await send(#"{"id":"broken","choices":[{"delta":{"content":"#)
                        continue
                    }
                    let delta = #"{"content":"\#(OpenAIWire.escape(OpenAIWire.token(index)))"}"#
                    try await send(
                        OpenAIWire.chunk(id: plan.id, model: model, created: created, delta: delta, includeUsageNull: includeUsage))
                }
                try await send(
                    OpenAIWire.chunk(
                        id: plan.id, model: model, created: created, delta: "{}", finishReason: "stop",
                        includeUsageNull: includeUsage))
                if includeUsage {
                    try await send(
                        OpenAIWire.usageChunk(
                            id: plan.id, model: model, created: created, prompt: promptTokens,
                            completion: plan.settings.answerTokens))
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
                ended = true
                self.end(.completed)
            })
    }

    /// Waits until the client closes its side of the connection: how a hanging provider notices the caller gave
    /// up. (The connection is not reused afterwards, which suits a provider that has hung.)
    private static func waitForClientToLeave(_ body: RequestBody) async {
        _ = try? await body.consumeWithCancellationOnInboundClose { _ in
            try await Task.sleep(for: .seconds(86_400 * 365))
        }
    }

    // MARK: Control

    private func configure(_ request: Request, _ context: SimulatorContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            return Self.error(400, "expected a JSON object")
        }
        do {
            var settings = self.settings
            try settings.apply(json: object)
            update { $0 = settings }
        } catch {
            return Self.error(400, "\(error)")
        }
        return Self.json(settings.json)
    }

    private static func json(_ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }

    private static func error(_ status: Int, _ message: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAIWire.error(status: status, message: message))))
    }
}

/// The simulator's request context; bodies are limited by the chat route itself.
struct SimulatorContext: RequestContext {
    var coreContext: CoreRequestContextStorage

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    var maxUploadSize: Int { 16 << 20 }
}
