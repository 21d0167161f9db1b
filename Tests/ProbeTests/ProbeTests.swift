import Logging
import Testing
@testable import Probe

/// All probe tests. Serialized because some of them count the process's threads, which
/// concurrently running tests (with servers and engines of their own) would disturb.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ProbeTests {}

/// A chat-completions probe against `server`, with the SSE first-token detector.
func chatRequest(
    _ server: TestServer,
    reuseConnection: Bool = false,
    firstTokenTimeout: Duration = .seconds(10),
    stopAfterFirstToken: Bool = false,
    tls: ProbeRequest.TLS = .init(),
    url: String? = nil
) -> ProbeRequest {
    ProbeRequest(
        url: url ?? server.url,
        headers: [
            (name: "Authorization", value: "Bearer sk-test-secret-123"),
            (name: "Content-Type", value: "application/json"),
        ],
        body: Array(#"{"model":"test","stream":true,"messages":[{"role":"user","content":"hi"}]}"#.utf8),
        reuseConnection: reuseConnection,
        tls: tls,
        timeouts: .init(connect: .seconds(5), firstToken: firstTokenTimeout, total: .seconds(30)),
        stopAfterFirstToken: stopAfterFirstToken,
        bodyObserver: { SSEContentObserver() }
    )
}

/// Runs `body` with an engine and always shuts the engine down afterwards.
func withEngine<T>(
    _ configuration: ProbeEngine.Configuration = .init(),
    logger: Logger? = nil,
    _ body: (ProbeEngine) async throws -> T
) async throws -> T {
    let engine = try ProbeEngine(configuration: configuration, logger: logger ?? Logger(label: "probe-test"))
    do {
        let value = try await body(engine)
        await engine.shutdown()
        return value
    } catch {
        await engine.shutdown()
        throw error
    }
}

/// The `ProbeError` a probe threw, or `nil` if it returned (or threw something else).
func thrownError(_ operation: () async throws -> ProbeResult) async -> ProbeError? {
    do {
        _ = try await operation()
        return nil
    } catch {
        return error as? ProbeError
    }
}
