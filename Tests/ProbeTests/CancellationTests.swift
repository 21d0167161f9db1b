import Testing
@testable import Probe

extension ProbeTests {
    @Suite struct CancellationAndShutdown {
        @Test func cancellingTheTaskStopsTheTransferPromptly() async throws {
            try await withTestServer(.hangAfterRole(roleDelay: .milliseconds(5))) { server in
                try await withEngine { engine in
                    let task = Task { try await engine.probe(chatRequest(server, firstTokenTimeout: .seconds(60))) }
                    await server.waitUntil { $0.requestsReceived == 1 }

                    let clock = ContinuousClock()
                    let cancelledAt = clock.now
                    task.cancel()
                    let outcome = await task.result
                    #expect(clock.now - cancelledAt < .milliseconds(500))
                    #expect(probeErrorCode(outcome) == .cancelled)
                    // The transfer itself was stopped: its connection closes.
                    await server.waitUntil { $0.connectionsClosed == 1 }
                }
            }
        }

        @Test func cancellingAQueuedProbeLeavesTheRunningOneAlone() async throws {
            let capture = LogCapture()
            try await withTestServer(.hangAfterRole(roleDelay: .milliseconds(5))) { server in
                try await withEngine(.init(maxConcurrentTransfers: 1), logger: capture.logger()) { engine in
                    // Probe ids count from 1 per engine: the running probe is 1, the queued one 2.
                    let running = Task { try await engine.probe(chatRequest(server, firstTokenTimeout: .seconds(60))) }
                    await server.waitUntil { $0.requestsReceived == 1 }
                    let queued = Task { try await engine.probe(chatRequest(server, firstTokenTimeout: .seconds(60))) }
                    await capture.waitForLine(containing: ["probe queued", "probe.id=2"])

                    queued.cancel()
                    #expect(probeErrorCode(await queued.result) == .cancelled)
                    #expect(server.stats.inFlight == 1)

                    running.cancel()
                    #expect(probeErrorCode(await running.result) == .cancelled)
                    await server.waitUntil { $0.connectionsClosed == 1 }
                }
                // The cancelled probe was taken out of the queue: it never started, even once
                // the slot it was waiting for became free.
                #expect(server.stats.requestsReceived == 1)
                #expect(!capture.all.contains { $0.contains("probe started") && $0.contains("probe.id=2") })
                #expect(capture.all.contains { $0.contains("probe cancelled while queued") && $0.contains("probe.id=2") })
            }
        }

        @Test func aTaskCancelledBeforehandDoesNotProbe() async throws {
            try await withTestServer(.hangBeforeHeaders) { server in
                try await withEngine { engine in
                    let task = Task {
                        withUnsafeCurrentTask { $0?.cancel() }
                        return try await engine.probe(chatRequest(server))
                    }
                    #expect(probeErrorCode(await task.result) == .cancelled)
                    #expect(server.stats.requestsReceived == 0)
                }
            }
        }

        @Test func shutdownFailsPendingProbesAndStopsTheThread() async throws {
            let threadName = "probe-t-shut"
            let capture = LogCapture()
            try await withTestServer(.hangAfterRole(roleDelay: .milliseconds(5))) { server in
                let engine = try ProbeEngine(
                    configuration: .init(maxConcurrentTransfers: 1, threadName: threadName),
                    logger: capture.logger()
                )
                #expect(try ThreadInspector.threads(named: threadName) == 1)
                let running = Task { try await engine.probe(chatRequest(server, firstTokenTimeout: .seconds(60))) }
                await server.waitUntil { $0.requestsReceived == 1 }
                let queued = Task { try await engine.probe(chatRequest(server, firstTokenTimeout: .seconds(60))) }
                await capture.waitForLine(containing: ["probe queued", "probe.id=2"])

                await engine.shutdown()
                #expect(try await ThreadInspector.threadsAfterExit(named: threadName) == 0)
                #expect(probeErrorCode(await running.result) == .shutdown)
                #expect(probeErrorCode(await queued.result) == .shutdown)
                await server.waitUntil { $0.connectionsClosed == 1 }

                // Later probes fail at once; shutting down again is harmless.
                let late = await thrownError { try await engine.probe(chatRequest(server)) }
                #expect(late?.code == .shutdown)
                await engine.shutdown()
                #expect(server.stats.requestsReceived == 1)
            }
        }

        @Test func releasingTheEngineStopsItsThread() async throws {
            let threadName = "probe-t-deinit"
            let script = ServerScript.stream(roleDelay: .milliseconds(5), firstToken: .milliseconds(10), extraChunks: 0, chunkInterval: .milliseconds(5))
            try await withTestServer(script) { server in
                try await probeOnceWithAnEngineThatGoesOutOfScope(server, threadName: threadName)
                #expect(try await ThreadInspector.threadsAfterExit(named: threadName) == 0)
            }
        }

        private func probeOnceWithAnEngineThatGoesOutOfScope(_ server: TestServer, threadName: String) async throws {
            let engine = try ProbeEngine(configuration: .init(threadName: threadName))
            #expect(try ThreadInspector.threads(named: threadName) == 1)
            let result = try await engine.probe(chatRequest(server))
            #expect(result.isSuccess)
        }
    }
}

/// The `ProbeError` code a probe task ended with, or `nil` if it returned a result.
func probeErrorCode(_ outcome: Result<ProbeResult, any Error>) -> ProbeError.Code? {
    guard case .failure(let error) = outcome else { return nil }
    return (error as? ProbeError)?.code
}
