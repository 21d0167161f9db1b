import Foundation
import Testing
@testable import Probe

extension ProbeTests {
    @Suite struct Concurrency {
        @Test func fiftyConcurrentProbesShareTheOneEngineThread() async throws {
            let probes = 50
            let threadName = "probe-t-fifty"
            let script = ServerScript.stream(roleDelay: .milliseconds(5), firstToken: .milliseconds(20), extraChunks: 1, chunkInterval: .milliseconds(5))
            try await withTestServer(script, holdResponses: true) { server in
                let before = try ThreadInspector.threadCount()
                try await withEngine(.init(maxConcurrentTransfers: 64, threadName: threadName)) { engine in
                    #expect(try ThreadInspector.threads(named: threadName) == 1)
                    let results = try await withThrowingTaskGroup(of: ProbeResult.self) { group in
                        for _ in 0..<probes {
                            group.addTask { try await engine.probe(chatRequest(server)) }
                        }
                        // Every probe is now a running transfer, held by the server.
                        await server.waitUntil { $0.inFlight == probes }
                        let during = try ThreadInspector.threadCount()
                        #expect(try ThreadInspector.threads(named: threadName) == 1)
                        // One engine thread; the rest of the slack is the cooperative pool,
                        // which may still grow to its width (one thread per core).
                        let poolSlack = ProcessInfo.processInfo.activeProcessorCount
                        #expect(during - before <= 1 + poolSlack, "threads: \(before) before, \(during) with \(probes) probes in flight")
                        server.releaseHeldResponses()

                        var results: [ProbeResult] = []
                        for try await result in group { results.append(result) }
                        return results
                    }
                    #expect(results.count == probes)
                    #expect(results.allSatisfy { $0.isSuccess && $0.timeToFirstToken != nil })
                    #expect(server.stats.maxInFlight == probes)
                }
                #expect(try await ThreadInspector.threadsAfterExit(named: threadName) == 0)
            }
        }

        @Test func probesBeyondTheCapWaitInTheQueue() async throws {
            let cap = 3
            let script = ServerScript.stream(roleDelay: .milliseconds(5), firstToken: .milliseconds(100), extraChunks: 2, chunkInterval: .milliseconds(20))
            try await withTestServer(script) { server in
                try await withEngine(.init(maxConcurrentTransfers: cap)) { engine in
                    let results = try await withThrowingTaskGroup(of: ProbeResult.self) { group in
                        for _ in 0..<(cap * 3) {
                            group.addTask { try await engine.probe(chatRequest(server)) }
                        }
                        var results: [ProbeResult] = []
                        for try await result in group { results.append(result) }
                        return results
                    }
                    #expect(results.count == cap * 3)
                    #expect(results.allSatisfy { $0.isSuccess })
                    #expect(server.stats.maxInFlight == cap)
                    #expect(server.stats.requestsReceived == cap * 3)
                }
            }
        }
    }
}
