import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ProviderSim
import Testing

@testable import EdgeRouter
@testable import EdgeWire
@testable import RoutingCore

/// The router's own upstream pool against real servers on 127.0.0.1: keep-alive reuse, connections the provider
/// closes (idle, or as a request goes out), the idle timeout, the limit and its waiting requests, a cut response,
/// connect and TLS failures.
@Suite("Upstream pool", .serialized, .timeLimit(.minutes(2)))
struct UpstreamPoolTests {
    static let loop = MultiThreadedEventLoopGroup.singleton.next()

    /// What one exchange gave.
    struct Outcome: Sendable {
        var status = 0
        var body = ""
        var failure: UpstreamConnectionError?
    }

    /// Hears one response and completes `promise` with it.
    final class Collector: UpstreamResponseReceiver, @unchecked Sendable {
        // @unchecked Sendable: the pool calls it on `loop` only, and the tests touch it there.
        var outcome = Outcome()
        var connection: UpstreamConnection?
        /// Whether the end or a failure was heard.
        var heard = false
        let promise: EventLoopPromise<Outcome>

        init(promise: EventLoopPromise<Outcome>) {
            self.promise = promise
        }

        func upstreamResponse(head: HTTPResponseHead) { outcome.status = Int(head.status.code) }
        func upstreamResponse(body: ByteBuffer) -> Bool {
            outcome.body += String(buffer: body)
            return true
        }
        func upstreamResponseReadBurstEnded() {}
        func upstreamResponseEnded() {
            heard = true
            promise.succeed(outcome)
        }
        func upstreamResponse(failed error: UpstreamConnectionError) {
            heard = true
            outcome.failure = error
            promise.succeed(outcome)
        }
    }

    static func pool(
        port: Int, limit: Int = 8, idleTimeout: TimeAmount = .seconds(60), idleLimit: Int = 256, tls: NIOSSLContext? = nil
    ) throws -> UpstreamPool {
        let origin = try #require(UpstreamOrigin(baseURL: "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)/v1"))
        return UpstreamPool(
            origin: origin, tls: tls, connectTimeout: .seconds(2), limit: limit, idleTimeout: idleTimeout,
            idleLimit: idleLimit, group: MultiThreadedEventLoopGroup.singleton)
    }

    /// Starts one request on `loop` (its connection found, or its wait begun, when this returns).
    static func begin(_ pool: UpstreamPool) async throws -> (Collector, EventLoopFuture<Outcome>) {
        try await loop.submit {
            let collector = Collector(promise: loop.makePromise())
            var headers = HTTPHeaders()
            headers.add(name: "host", value: pool.budget.origin.hostHeader)
            headers.add(name: "content-length", value: "2")
            let request = UpstreamRequest(
                head: HTTPRequestHead(version: .http1_1, method: .POST, uri: pool.budget.origin.target("/chat/completions"), headers: headers),
                body: ByteBuffer(string: "{}"))
            pool.acquire(on: loop) { result in
                switch result {
                case .success(let connection):
                    if connection.start(request, receiver: collector) {
                        collector.connection = connection
                    } else {
                        collector.upstreamResponse(failed: UpstreamConnectionError(.closedByProvider))
                    }
                case .failure(let error):
                    collector.upstreamResponse(failed: error)
                }
            }
            return (collector, collector.promise.futureResult)
        }.get()
    }

    static func exchange(_ pool: UpstreamPool) async throws -> Outcome {
        let (_, outcome) = try await begin(pool)
        return try await bounded(.seconds(10), "the exchange") { try await outcome.get() }
    }

    static func idleOnLoop(_ pool: UpstreamPool) async throws -> Int {
        try await loop.submit { pool.pool(on: loop).idleCount }.get()
    }

    /// Waits (bounded) until `condition` holds: for a close that the client sees a moment after the server made it.
    static func eventually(_ what: String, _ condition: @escaping @Sendable () async throws -> Bool) async throws {
        try await bounded(.seconds(10), what) {
            while try await !condition() { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test("three requests in a row on one loop use one connection, which stays idle in the pool")
    func reuse() async throws {
        let server = try await KeepAliveServer.start()
        let pool = try Self.pool(port: server.port)
        for _ in 0..<3 {
            let outcome = try await Self.exchange(pool)
            #expect(outcome.status == 200 && outcome.body == KeepAliveServer.stream && outcome.failure == nil)
        }
        #expect(server.connections == 1 && server.requests == 3)
        #expect(pool.openConnections == 1)
        #expect(try await Self.idleOnLoop(pool) == 1)
        await pool.shutdown()
        try await Self.eventually("the idle connection closed at shutdown") { pool.openConnections == 0 }
        await server.stop()
    }

    @Test("a connection the provider closed while idle leaves the pool, and the next request opens a new one")
    func idleClosedByProvider() async throws {
        let server = try await KeepAliveServer.start { _, _ in .answerThenClose }
        let pool = try Self.pool(port: server.port)
        #expect(try await Self.exchange(pool).status == 200)
        try await Self.eventually("the provider's close seen") { pool.openConnections == 0 }
        #expect(try await Self.idleOnLoop(pool) == 0)
        let second = try await Self.exchange(pool)
        #expect(second.status == 200 && second.failure == nil)
        #expect(server.connections == 2)
        await pool.shutdown()
        await server.stop()
    }

    @Test("a reused connection closed without an answer fails as retryable; a fresh connection's failure does not")
    func retryableOnlyOnReuse() async throws {
        let server = try await KeepAliveServer.start { connection, request in
            (connection == 1 && request == 2) || connection == 2 ? .dropWithoutAnswer : .answer
        }
        let pool = try Self.pool(port: server.port)
        #expect(try await Self.exchange(pool).status == 200)
        let reused = try await Self.exchange(pool)
        #expect(reused.failure?.retryable == true, "\(String(describing: reused.failure))")
        let fresh = try await Self.exchange(pool)
        #expect(fresh.failure?.retryable == false)
        #expect(UpstreamErrorText.describe(try #require(fresh.failure)) == "the provider closed the connection")
        await pool.shutdown()
        await server.stop()
    }

    @Test("an upstream call whose reused connection the provider closed as the request went out is sent again on a fresh one, unseen")
    func callRetriesOnFreshConnection() async throws {
        let server = try await KeepAliveServer.start { connection, request in connection == 1 && request == 2 ? .dropWithoutAnswer : .answer }
        let configuration = try ConfigurationLoader.parse(yaml: testYAML(ports: [server.port]), environment: ["TEST_PROVIDER_KEY": "k"])
        let deployment = try #require(configuration.models.first?.deployments.first)
        let clients = UpstreamClients(providers: configuration.providers)
        for _ in 0..<2 {
            let steps = try await bounded(.seconds(10), "the call") {
                try await Self.loop.flatSubmit {
                    let promise = Self.loop.makePromise(of: [String].self)
                    let reader = StepRecorder(promise: promise)
                    let call = UpstreamCall(deployment: deployment, eventLoop: Self.loop, inFlight: nil) { _ in }
                    call.send(with: clients, body: ByteBuffer(string: "{}"), logger: Logger(label: "test"))
                    call.attach(reader)
                    return promise.futureResult.map { steps in
                        withExtendedLifetime((call, reader)) {}
                        return steps
                    }
                }.get()
            }
            #expect(steps == ["Hel", "lo", "done"])
        }
        #expect(server.requests == 3 && server.connections == 2)
        await clients.shutdown()
        await server.stop()
    }

    @Test("a connection idle past the idle timeout is closed")
    func idleTimeout() async throws {
        let server = try await KeepAliveServer.start()
        let pool = try Self.pool(port: server.port, idleTimeout: .milliseconds(50))
        #expect(try await Self.exchange(pool).status == 200)
        try await Self.eventually("the idle timeout closed the connection") { pool.openConnections == 0 }
        #expect(try await Self.idleOnLoop(pool) == 0)
        await pool.shutdown()
        await server.stop()
    }

    @Test("past the idle limit a connection that comes back closes the least recently used one: two answered at once, one kept")
    func idleLimit() async throws {
        let server = try await KeepAliveServer.start { _, _ in .hold }
        let pool = try Self.pool(port: server.port, idleLimit: 1)
        let (_, first) = try await Self.begin(pool)
        let (_, second) = try await Self.begin(pool)
        _ = try await bounded(.seconds(10), "both requests at the server") {
            var arrivals = server.arrivals.makeAsyncIterator()
            _ = await arrivals.next()
            _ = await arrivals.next()
        }
        #expect(pool.openConnections == 2)
        server.releaseHeld()
        let outcomes = try await bounded(.seconds(10), "both answers") { [try await first.get(), try await second.get()] }
        #expect(outcomes.allSatisfy { $0.status == 200 })
        try await Self.eventually("the connection past the limit closed") { pool.openConnections == 1 }
        #expect(try await Self.idleOnLoop(pool) == 1)
        await pool.shutdown()
        await server.stop()
    }

    @Test("at the limit a request waits, then gets the connection the first one frees: one connection, two answers")
    func limitQueues() async throws {
        let server = try await KeepAliveServer.start { connection, request in request == 1 ? .hold : .answer }
        let pool = try Self.pool(port: server.port, limit: 1)
        let (_, held) = try await Self.begin(pool)
        _ = try await first(of: server.arrivals, "the first request at the server")
        let (_, second) = try await Self.begin(pool)
        #expect(pool.budget.hasWaiters)
        #expect(pool.openConnections == 1)
        server.releaseHeld()
        let outcomes = try await bounded(.seconds(10), "both answers") { [try await held.get(), try await second.get()] }
        #expect(outcomes.allSatisfy { $0.status == 200 && $0.body == KeepAliveServer.stream })
        #expect(server.connections == 1 && server.requests == 2)
        #expect(!pool.budget.hasWaiters)
        await pool.shutdown()
        await server.stop()
    }

    @Test("an aborted request closes its connection, and its late answer reaches nobody; the next request opens a new one")
    func abortCloses() async throws {
        let server = try await KeepAliveServer.start { connection, _ in connection == 1 ? .hold : .answer }
        let pool = try Self.pool(port: server.port)
        let (collector, _) = try await Self.begin(pool)
        _ = try await first(of: server.arrivals, "the request at the server")
        try await Self.loop.submit { collector.connection?.abort(for: collector) }.get()
        try await Self.eventually("the aborted connection closed") { pool.openConnections == 0 }
        server.releaseHeld()
        #expect(try await Self.exchange(pool).status == 200)
        #expect(server.connections == 2)
        #expect(try await Self.loop.submit { collector.heard }.get() == false, "the aborted receiver hears nothing more")
        try await Self.loop.submit { collector.promise.succeed(collector.outcome) }.get()  // nobody else will
        await pool.shutdown()
        await server.stop()
    }

    @Test("a refused connect fails the request with the connection-refused kind and frees its place")
    func refused() async throws {
        let closed = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(closed.localAddress?.port)
        try await closed.close()
        let pool = try Self.pool(port: port)
        let outcome = try await Self.exchange(pool)
        #expect(UpstreamErrorText.describe(try #require(outcome.failure)) == "could not connect to the provider: connection refused")
        #expect(pool.openConnections == 0)
        await pool.shutdown()
    }

    @Test("over TLS a trusted provider's connection is reused; an untrusted certificate fails the handshake as a TLS failure")
    func tls() async throws {
        let authority = try TestCertificateAuthority.make()
        defer { authority.remove() }
        let serverTLS = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(authority.serverTLS.certificateChainPath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: authority.serverTLS.privateKeyPath, format: .pem))))
        let server = try await KeepAliveServer.start(tls: serverTLS)
        let trusting = try Self.pool(
            port: server.port, tls: NIOSSLContext(configuration: CABundle.clientTLS(trusting: authority.caPath)))
        for _ in 0..<2 {
            let outcome = try await Self.exchange(trusting)
            #expect(outcome.status == 200 && outcome.body == KeepAliveServer.stream, "\(String(describing: outcome.failure))")
        }
        #expect(server.connections == 1)

        let untrusting = try Self.pool(port: server.port, tls: NIOSSLContext(configuration: CABundle.clientTLS(trusting: nil)))
        let refused = try await Self.exchange(untrusting)
        #expect(UpstreamErrorText.describe(try #require(refused.failure)) == "could not connect to the provider: TLS failure")
        #expect(refused.failure?.retryable == false)
        await trusting.shutdown()
        await untrusting.shutdown()
        await server.stop()
    }
}

/// Records an upstream call's steps and completes `promise` at the terminal one.
private final class StepRecorder: UpstreamCallReader, @unchecked Sendable {
    // @unchecked Sendable: the call hands it steps on its loop only.
    var steps: [String] = []
    let promise: EventLoopPromise<[String]>

    init(promise: EventLoopPromise<[String]>) {
        self.promise = promise
    }

    func upstreamCall(_ call: UpstreamCall, received step: UpstreamCall.Step) {
        switch step {
        case .frame(let frame):
            for event in frame.events { if case .text(_, let text) = event { steps.append(text) } }
        case .done:
            steps.append("done")
            promise.succeed(steps)
        case .failed(let failure):
            steps.append("failed: \(failure.detail)")
            promise.succeed(steps)
        }
    }

    func upstreamCallDidFinishBuffer(_ call: UpstreamCall) {}
    var isBackedUp: Bool { false }
}
