import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSim
import RequestLog
import Synchronization
import Testing

/// The request log when the router process is killed (SIGKILL) under load: what it may lose is bounded by the
/// batch window.
@Suite("Request log: a crash under load loses at most the last batch window", .serialized, .timeLimit(.minutes(3)))
struct RequestLogCrashTests {
    /// Requests answered 200, with the instant each answer was complete.
    final class Answers: Sendable {
        let completed = Mutex<[(id: String, at: ContinuousClock.Instant)]>([])
    }

    @Test("after kill -9 under load, every request answered more than batch_ms + 400 ms before the kill is on record, none twice")
    func killUnderLoad() async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let sim = ProviderSimulator(settings: ChatStreamingTests.fastSim(), logger: RouterHarness.logger) { continuation.yield($0) }
        let sims = ServiceRunner([sim])
        defer { sims.stop() }
        var iterator = ports.makeAsyncIterator()
        let simPort = try #require(await iterator.next())
        let log = try RequestRecordTests.logPath()
        let batch = 100
        let yaml = testYAML(ports: [simPort], server: "  max_connections_per_client: 0\n")
            .replacingOccurrences(of: "${TEST_PROVIDER_KEY}", with: "provider-secret")
            + "\nlog: { path: \"\(log)\", batch_ms: \(batch) }\n"
        let router = try RouterProcess(yaml: yaml, openFiles: 4096)
        defer { if router.process.isRunning { router.stop() } }
        let port = try #require(await router.port(), "the router did not start")

        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let answers = Answers()
        let body = RouterHarness.chatBody(model: "m", stream: false)
        let killed: ContinuousClock.Instant = try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while !Task.isCancelled {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
                        request.method = .POST
                        request.headers.add(name: "authorization", value: "Bearer \(RouterHarness.clientKey)")
                        request.body = .bytes(ByteBuffer(string: body))
                        guard let response = try? await client.execute(request, timeout: .seconds(5)),
                            (try? await response.body.collect(upTo: 1 << 20)) != nil
                        else { return }  // the router is gone
                        let done = ContinuousClock.now
                        if response.status == .ok, let id = response.headers.first(name: "x-edge-request-id") {
                            answers.completed.withLock { $0.append((id, done)) }
                        }
                    }
                }
            }
            // Load for a while, then kill the process without warning, mid-batch.
            try await bounded(.seconds(30), "1,000 answers") {
                while answers.completed.withLock({ $0.count }) < 1_000 { try await Task.sleep(for: .milliseconds(5)) }
            }
            kill(router.process.processIdentifier, SIGKILL)
            let killed = ContinuousClock.now
            router.process.waitUntilExit()
            group.cancelAll()
            try await group.waitForAll()
            return killed
        }
        try await client.shutdown()

        let recorded = try await Self.requestIDs(log)
        let completed = answers.completed.withLock { $0 }
        let lost = completed.filter { !recorded.ids.contains($0.id) }
        let oldestLost = lost.map { killed - $0.at }.max() ?? .zero
        print("request log crash test: \(completed.count) answered, \(lost.count) not on record, the oldest answered \(oldestLost) before the kill")
        #expect(recorded.rows == recorded.ids.count)
        #expect(oldestLost < .milliseconds(batch + 400), "a record older than the batch window was lost")
        #expect(lost.count < completed.count / 2)
    }

    /// Every request id in the log at `path`, and the number of rows.
    static func requestIDs(_ path: String) async throws -> (ids: Set<String>, rows: Int) {
        let store = try SQLiteRequestStore(path: path)
        let rows = try await store.count()
        var ids: Set<String> = []
        var before: Int64?
        // Newest first, a page at a time; a page that adds nothing new is the end.
        while true {
            let page = try await store.requests(RequestQuery(toMs: before.map { $0 + 1 }, limit: 1000))
            let added = page.filter { ids.insert($0.requestID).inserted }.count
            guard added > 0, let oldest = page.last?.receivedAtMs else { break }
            before = oldest
            if page.count < 1000 { break }
        }
        return (ids, rows)
    }
}
