import NIOCore
import NIOPosix
import Testing
@testable import Probe

extension ProbeTests {
    @Suite struct Failures {
        @Test func hangBeforeTheFirstTokenIsCutAtTheFirstTokenTimeout() async throws {
            try await withTestServer(.hangAfterRole(roleDelay: .milliseconds(10))) { server in
                try await withEngine { engine in
                    let clock = ContinuousClock()
                    let started = clock.now
                    let result = try await engine.probe(chatRequest(server, firstTokenTimeout: .milliseconds(300)))
                    let elapsed = clock.now - started

                    let error = try #require(result.error)
                    #expect(error.code == .timeout)
                    #expect(error.phase == .firstToken)
                    #expect(error.message.contains("first-token timeout of 300 ms"))
                    #expect(result.httpStatus == 200)
                    #expect(result.timeToFirstByte != nil)
                    #expect(result.timeToFirstToken == nil)
                    #expect(result.total >= .milliseconds(300))
                    #expect(elapsed >= .milliseconds(300))
                    #expect(elapsed < .seconds(2))
                    // The transfer was stopped: the server sees its connection close.
                    await server.waitUntil { $0.connectionsClosed >= 1 }
                }
            }
        }

        @Test func hangBeforeHeadersIsReportedAsWaitingForTheFirstByte() async throws {
            try await withTestServer(.hangBeforeHeaders) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server, firstTokenTimeout: .milliseconds(200)))
                    let error = try #require(result.error)
                    #expect(error.code == .timeout)
                    #expect(error.phase == .firstByte)
                    #expect(result.timeToFirstByte == nil)
                    #expect(result.httpStatus == nil)
                }
            }
        }

        @Test func totalTimeoutIsEnforcedByLibcurl() async throws {
            try await withTestServer(.hangBeforeHeaders) { server in
                try await withEngine { engine in
                    var request = chatRequest(server)
                    request.timeouts = .init(connect: .seconds(5), firstToken: .seconds(10), total: .milliseconds(250))
                    let result = try await engine.probe(request)
                    let error = try #require(result.error)
                    #expect(error.code == .timeout)
                    #expect(error.phase == .firstByte)
                    #expect(error.curlCode == 28)
                    #expect(error.message.contains("total timeout of 250 ms"))
                }
            }
        }

        @Test func hangingTCPConnectIsCutAtTheConnectTimeout() async throws {
            let listener = try BacklogFullListener()
            try await withEngine { engine in
                var request = ProbeRequest(url: "http://127.0.0.1:\(listener.port)/v1/chat/completions")
                request.timeouts = .init(connect: .milliseconds(300), firstToken: .seconds(10), total: .seconds(10))
                let result = try await engine.probe(request)
                let error = try #require(result.error)
                #expect(error.code == .timeout)
                #expect(error.phase == .connect)
                #expect(error.message.contains("connect timeout of 300 ms"))
                // libcurl's timers have millisecond granularity and may fire a hair early.
                #expect(result.total >= .milliseconds(290))
                #expect(result.total < .seconds(2))
            }
        }

        @Test func hangingTLSHandshakeIsReportedInTheTLSPhase() async throws {
            try await withTestServer(.hangBeforeHeaders, silent: true) { server in
                try await withEngine { engine in
                    var request = chatRequest(server)
                    request.timeouts = .init(connect: .milliseconds(300), firstToken: .seconds(10), total: .seconds(10))
                    let result = try await engine.probe(request)
                    let error = try #require(result.error)
                    #expect(error.code == .timeout)
                    #expect(error.phase == .tls)
                    #expect(error.message.contains("connect timeout of 300 ms expired while the TLS handshake"))
                }
            }
        }

        @Test func firstTokenTimeoutDuringTheTLSHandshakeNamesThatPhase() async throws {
            try await withTestServer(.hangBeforeHeaders, silent: true) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server, firstTokenTimeout: .milliseconds(200)))
                    let error = try #require(result.error)
                    #expect(error.code == .timeout)
                    #expect(error.phase == .tls)
                    #expect(error.message.contains("first-token timeout"))
                }
            }
        }

        @Test func serviceUnavailableIsAnHTTPStatusResult() async throws {
            let body = #"{"error":{"message":"overloaded","type":"server_error"}}"#
            try await withTestServer(.status(503, body: body)) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server))

                    #expect(result.httpStatus == 503)
                    let error = try #require(result.error)
                    #expect(error.code == .httpStatus)
                    #expect(error.httpStatus == 503)
                    #expect(error.responseBodyPrefix == body)
                    #expect(error.message.contains("503"))
                    #expect(!error.description.contains("sk-test-secret"))
                    #expect(result.timeToFirstToken == nil)
                }
            }
        }

        @Test func longErrorBodiesAreTruncatedTo512Bytes() async throws {
            let body = String(repeating: "x", count: 4000)
            try await withTestServer(.status(500, body: body)) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server))
                    let prefix = try #require(result.error?.responseBodyPrefix)
                    #expect(prefix.utf8.count == 512)
                    #expect(result.bytesReceived == 4000)
                }
            }
        }

        @Test func serverClosingBeforeAnyTokenIsAClearError() async throws {
            try await withTestServer(.closeAfterRole(roleDelay: .milliseconds(10))) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server))

                    let error = try #require(result.error)
                    #expect(error.code == .protocol)
                    #expect(error.phase == .firstToken)
                    #expect(error.message.contains("closed the connection"))
                    #expect(result.timeToFirstToken == nil)
                    #expect(result.timeToFirstByte != nil)
                }
            }
        }

        @Test func completeResponseWithoutATokenIsAProtocolError() async throws {
            try await withTestServer(.status(200, body: #"{"choices":[]}"#)) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server))
                    let error = try #require(result.error)
                    #expect(error.code == .protocol)
                    #expect(error.message.contains("without a first content token"))
                }
            }
        }

        @Test func streamErrorEventFailsTheProbe() async throws {
            try await withTestServer(.streamError(errorDelay: .milliseconds(20), message: "upstream exploded")) { server in
                try await withEngine { engine in
                    let result = try await engine.probe(chatRequest(server))
                    let error = try #require(result.error)
                    #expect(error.code == .stream)
                    #expect(error.phase == .firstToken)
                    #expect(error.message.contains("upstream exploded"))
                }
            }
        }

        @Test func refusedConnectionIsAConnectError() async throws {
            let port = try await unusedPort()
            try await withEngine { engine in
                var request = ProbeRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
                request.timeouts = .init(connect: .seconds(2), firstToken: .seconds(5), total: .seconds(5))
                let result = try await engine.probe(request)
                let error = try #require(result.error)
                #expect(error.code == .connect)
                #expect(error.phase == .connect)
                #expect(error.curlCode == 7)
                #expect(result.timeToFirstByte == nil)
            }
        }

        @Test func secretsNeverReachErrorsOrLogs() async throws {
            let capture = LogCapture()
            try await withTestServer(.status(401, body: #"{"error":"bad key"}"#)) { server in
                try await withEngine(logger: capture.logger()) { engine in
                    let port = try await unusedPort()
                    let targets = [
                        server.url + "?key=sk-query-secret-456",
                        "http://user:sk-userinfo-secret-789@127.0.0.1:\(port)/v1?key=sk-query-secret-456",
                    ]
                    for url in targets {
                        let result = try await engine.probe(chatRequest(server, url: url))
                        let error = try #require(result.error)
                        for secret in ["sk-test-secret", "sk-query-secret", "sk-userinfo-secret"] {
                            #expect(!error.description.contains(secret))
                        }
                    }
                }
            }
            let lines = capture.all
            #expect(lines.contains { $0.contains("probe finished") })
            for line in lines {
                for secret in ["sk-test-secret", "sk-query-secret", "sk-userinfo-secret", "Authorization"] {
                    #expect(!line.contains(secret), "log line leaks \(secret): \(line)")
                }
            }
        }

        /// A loopback port nothing listens on (bound once, then released).
        private func unusedPort() async throws -> Int {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            do {
                let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
                let port = try #require(channel.localAddress?.port)
                try await channel.close()
                try await group.shutdownGracefully()
                return port
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
        }
    }
}
