import Testing
@testable import Probe

extension ProbeTests {
    @Suite struct Timing {
        @Test func firstTokenMatchesTheServersDelay() async throws {
            let firstToken = Duration.milliseconds(150)
            let roleDelay = Duration.milliseconds(40)
            let script = ServerScript.stream(roleDelay: roleDelay, firstToken: firstToken, extraChunks: 3, chunkInterval: .milliseconds(10))
            try await withTestServer(script) { server in
                try await withEngine { engine in
                    let request = chatRequest(server)
                    let result = try await engine.probe(request)

                    #expect(result.error == nil)
                    #expect(result.isSuccess)
                    #expect(result.httpStatus == 200)
                    let measured = try #require(result.timeToFirstToken)
                    let tolerance = firstToken * 0.1 + .milliseconds(5)
                    let deviation = measured > firstToken ? measured - firstToken : firstToken - measured
                    #expect(deviation <= tolerance, "measured \(measured), configured \(firstToken)")

                    // The role-only chunk arrives with the headers, well before the content.
                    let firstByte = try #require(result.timeToFirstByte)
                    #expect(firstByte >= roleDelay)
                    #expect(firstByte < measured)
                    #expect(result.total >= measured)
                    #expect(result.dns > .zero)
                    #expect(result.tlsHandshake == .zero)
                    #expect(!result.connectionReused)
                    #expect(result.httpVersion == .http1_1)
                    #expect(result.bytesReceived > 0)
                    #expect(!result.stoppedAfterFirstToken)

                    // The request reached the server intact, without libcurl's Expect header.
                    let stats = server.stats
                    #expect(stats.lastMethod == "POST")
                    #expect(stats.lastBody == request.body)
                    #expect(stats.lastHeaders.contains { $0.name == "Authorization" && $0.value == "Bearer sk-test-secret-123" })
                    #expect(!stats.lastHeaders.contains { $0.name.lowercased() == "expect" })
                }
            }
        }

        @Test func stopAfterFirstTokenEndsTheTransferEarly() async throws {
            // The full stream would take over two seconds.
            let script = ServerScript.stream(roleDelay: .milliseconds(10), firstToken: .milliseconds(50), extraChunks: 40, chunkInterval: .milliseconds(50))
            try await withTestServer(script) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server, stopAfterFirstToken: true))

                    #expect(result.error == nil)
                    #expect(result.stoppedAfterFirstToken)
                    let firstToken = try #require(result.timeToFirstToken)
                    #expect(firstToken >= .milliseconds(50))
                    #expect(result.total < .seconds(1))
                    // The fresh connection was closed rather than drained.
                    await server.waitUntil { $0.connectionsClosed >= 1 }
                }
            }
        }

        @Test func withoutAnObserverTheFirstBodyByteIsTheToken() async throws {
            let script = ServerScript.stream(roleDelay: .milliseconds(40), firstToken: .milliseconds(150), extraChunks: 0, chunkInterval: .milliseconds(10))
            try await withTestServer(script) { server in
                try await withEngine { engine in
                    var request = chatRequest(server)
                    request.bodyObserver = nil
                    let result = try await engine.probe(request)

                    #expect(result.error == nil)
                    let firstToken = try #require(result.timeToFirstToken)
                    // The role-only chunk counts here, so the "token" comes at the role delay.
                    #expect(firstToken >= .milliseconds(40))
                    #expect(firstToken < .milliseconds(150))
                }
            }
        }
    }
}
