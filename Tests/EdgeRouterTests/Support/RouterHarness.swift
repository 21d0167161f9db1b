import AsyncHTTPClient
import EdgeRouter
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ProviderSim
import ServiceLifecycle
import Testing

/// A router in front of simulated providers, all on 127.0.0.1 with ephemeral ports, for one test.
struct RouterHarness: Sendable {
    let sims: [ProviderSimulator]
    let simPorts: [Int]
    let router: EdgeRouterServer
    let client: HTTPClient
    var base: String { "http://127.0.0.1:\(router.port)" }

    static let clientKey = "test-client-key"
    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// Starts one simulator per entry of `sims`, a router configured by `yaml(simPorts)` and logging to
    /// `routerLogger` (to capture its lines), runs `body`, and stops everything with a graceful shutdown (cancelling
    /// a server while a connection is being accepted traps in NIO). With `configurationFile`, the YAML is written
    /// there and the router reloads from that file (`POST /admin/reload`).
    static func run<Value: Sendable>(
        sims settings: [SimulatorSettings] = [], tls: [SimulatorTLS?] = [], logger routerLogger: Logger = RouterHarness.logger,
        environment: [String: String] = [:], configurationFile: URL? = nil, yaml: @Sendable ([Int]) -> String,
        _ body: @Sendable (RouterHarness) async throws -> Value
    ) async throws -> Value {
        var sims: [ProviderSimulator] = []
        var portStreams: [AsyncStream<Int>] = []
        for (index, setting) in settings.enumerated() {
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let certificate = index < tls.count ? tls[index] : nil
            sims.append(ProviderSimulator(settings: setting, tls: certificate, logger: logger) { continuation.yield($0) })
            portStreams.append(ports)
        }
        let simServices = ServiceRunner(sims)
        defer { simServices.stop() }
        var ports: [Int] = []
        for (index, stream) in portStreams.enumerated() {
            ports.append(try await first(of: stream, "simulator \(index) listening"))
        }
        let environment = environment.merging(["TEST_PROVIDER_KEY": "provider-secret"]) { $1 }
        let configuration: RouterConfiguration
        var source: (@Sendable () throws(EdgeRouterError) -> RouterConfiguration)?
        if let configurationFile {
            try yaml(ports).write(to: configurationFile, atomically: true, encoding: .utf8)
            configuration = try ConfigurationLoader.load(path: configurationFile.path, environment: environment)
            source = { () throws(EdgeRouterError) -> RouterConfiguration in
                try ConfigurationLoader.load(path: configurationFile.path, environment: environment)
            }
        } else {
            configuration = try ConfigurationLoader.parse(yaml: yaml(ports), environment: environment)
        }
        let (routerPorts, routerPort) = AsyncStream.makeStream(of: Int.self)
        let router = try EdgeRouterServer(configuration: configuration, reloadFrom: source, logger: routerLogger) { routerPort.yield($0) }
        let routerService = ServiceRunner([router])
        do {
            _ = try await first(of: routerPorts, "the router listening")
        } catch {
            await routerService.stopAndWait()
            throw error
        }
        // A read timeout bounds every body a test collects: a stream that stalls fails the test, never hangs it.
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(60))))
        let harness = RouterHarness(sims: sims, simPorts: ports, router: router, client: client)
        do {
            let value = try await body(harness)
            try await client.shutdown()
            await routerService.stopAndWait()
            await simServices.stopAndWait()
            return value
        } catch {
            try? await client.shutdown()
            await routerService.stopAndWait()
            await simServices.stopAndWait()
            throw error
        }
    }

    /// Sends a request to the router; returns status, headers and the whole body.
    func send(
        _ path: String, method: HTTPMethod = .POST, body: String? = nil,
        headers: [(String, String)] = [("authorization", "Bearer \(clientKey)")]
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), response.headers, String(buffer: bytes))
    }

    /// Posts a chat request for `model`.
    func chat(model: String, stream: Bool, extra: String = "") async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        try await send("/v1/chat/completions", body: Self.chatBody(model: model, stream: stream, extra: extra))
    }

    static func chatBody(model: String, stream: Bool, extra: String = "") -> String {
        #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"Say hello"}]\#(extra)}"#
    }
}

/// The `data:` payloads of an SSE body (each event's `id:` and `event:` lines left out).
func ssePayloads(_ body: String) -> [String] {
    body.components(separatedBy: "\n\n").compactMap { frame in
        let data = frame.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { $0.dropFirst(6) }
        return data.isEmpty ? nil : data.joined(separator: "\n")
    }
}

/// The `id:` of each event of an SSE body, in order (nil for an event without one).
func sseEventIDs(_ body: String) -> [Int?] {
    body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { frame in
        frame.split(separator: "\n").first { $0.hasPrefix("id: ") }.flatMap { Int($0.dropFirst(4)) }
    }
}

/// The text of every content delta in an SSE body, joined.
func streamedText(_ body: String) -> String {
    ssePayloads(body).compactMap { payload -> String? in
        guard let data = payload.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let choices = object["choices"] as? [[String: Any]],
            let delta = choices.first?["delta"] as? [String: Any]
        else { return nil }
        return delta["content"] as? String
    }.joined()
}

/// Configuration text for tests: providers named `p0`, `p1`, … on the given ports (speaking `dialects`, OpenAI's
/// by default), one model `m` on all of them in that order, and a client key.
func testYAML(
    ports: [Int], firstTokenMs: Int = 2000, idleMs: Int = 2000, maxAttempts: Int = 3, extraProviders: String = "",
    deploymentProviders: [String]? = nil, extraModels: String = "", extraKeys: String = "", server: String = "",
    dialects: [String] = []
) -> String {
    let providers = ports.enumerated().map { index, port in
        let dialect = index < dialects.count ? dialects[index] : "openai"
        return """
          - id: p\(index)
            dialect: \(dialect)
            base_url: http://127.0.0.1:\(port)\(dialect.hasPrefix("openai") ? "/v1" : "")
            api_key: ${TEST_PROVIDER_KEY}
            region: region-\(index)
            timeouts: { connect_ms: 1000, first_token_ms: \(firstTokenMs), idle_ms: \(idleMs) }
        """
    }.joined(separator: "\n")
    let providerIDs = deploymentProviders ?? ports.indices.map { "p\($0)" }
    let deployments = providerIDs.map { id in
        "      - { provider: \(id), model: upstream-\(id.dropFirst()) }"
    }.joined(separator: "\n")
    return """
        server:
          port: 0
          max_attempts: \(maxAttempts)
        \(server)
        providers:
        \(providers)
        \(extraProviders)
        models:
          - name: m
            aliases: [m-alias]
            deployments:
        \(deployments)
        \(extraModels)
        keys:
          - id: client
            key: \(RouterHarness.clientKey)
        \(extraKeys)
        """
}

/// Services running in a `ServiceGroup` of their own, stopped by a graceful shutdown.
final class ServiceRunner: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(_ services: [any Service]) {
        var configuration = ServiceGroupConfiguration(services: services.map { .init(service: $0) }, logger: RouterHarness.logger)
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        self.group = group
        self.task = Task { try await group.run() }
    }

    /// Starts a graceful shutdown and waits until every service has stopped; a shutdown that does not end within
    /// `limit` is a test failure, not a hang.
    func stopAndWait(within limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) async {
        await group.triggerGracefulShutdown()
        let task = self.task
        do {
            _ = try await bounded(limit, "the graceful shutdown") { _ = try? await task.value }
        } catch {
            task.cancel()
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    /// Starts a graceful shutdown without waiting (for paths that leave early).
    func stop() {
        let group = self.group
        Task { await group.triggerGracefulShutdown() }
    }
}
