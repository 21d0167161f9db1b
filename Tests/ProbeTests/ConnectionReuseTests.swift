import Testing
@testable import Probe

extension ProbeTests {
    @Suite struct ConnectionReuse {
        static let script = ServerScript.stream(roleDelay: .milliseconds(5), firstToken: .milliseconds(20), extraChunks: 1, chunkInterval: .milliseconds(5))

        @Test func reuseOnUsesTheOpenConnection() async throws {
            try await withTestServer(Self.script) { server in
                try await withEngine { engine in
                    let first = try await engine.probe(chatRequest(server, reuseConnection: true))
                    let second = try await engine.probe(chatRequest(server, reuseConnection: true))

                    #expect(first.error == nil)
                    #expect(second.error == nil)
                    #expect(!first.connectionReused)
                    #expect(second.connectionReused)
                    #expect(second.tcpConnect < .milliseconds(1))
                    #expect(second.tlsHandshake == .zero)
                    #expect(server.stats.connectionsOpened == 1)
                    #expect(server.stats.requestsReceived == 2)
                }
            }
        }

        @Test func reuseOffOpensAFreshConnectionEachTime() async throws {
            try await withTestServer(Self.script) { server in
                try await withEngine { engine in
                    let first = try await engine.probe(chatRequest(server, reuseConnection: false))
                    let second = try await engine.probe(chatRequest(server, reuseConnection: false))

                    #expect(first.error == nil)
                    #expect(second.error == nil)
                    #expect(!first.connectionReused)
                    #expect(!second.connectionReused)
                    #expect(server.stats.connectionsOpened == 2)
                    // Fresh connections are not kept: both get closed.
                    await server.waitUntil { $0.connectionsClosed >= 2 }
                }
            }
        }

        @Test func reuseOffIgnoresAnOpenConnection() async throws {
            try await withTestServer(Self.script) { server in
                try await withEngine { engine in
                    _ = try await engine.probe(chatRequest(server, reuseConnection: true))
                    let fresh = try await engine.probe(chatRequest(server, reuseConnection: false))
                    #expect(!fresh.connectionReused)
                    #expect(server.stats.connectionsOpened == 2)
                }
            }
        }
    }
}
