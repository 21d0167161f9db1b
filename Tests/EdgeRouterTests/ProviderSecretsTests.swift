
@testable import EdgeRouter
@testable import RoutingCore
import Foundation
import NIOHTTP1
import Testing

/// Provider error text and connection errors never carry a credential or an upstream address to a client, and no
/// credential to the log.
@Suite("No provider secret or address in client answers or logs", .timeLimit(.minutes(2)))
struct ProviderSecretsTests {
    static let key = "provider-secret"

    /// An error body echoing what a careless proxy would: our Authorization header, and more key-like things.
    static func echo(_ request: StubProvider.Request) -> String {
        let authorization = request.headers["authorization"] ?? ""
        let text = "Incorrect API key provided: \(authorization); key sk-proj-abcdefghijklmnop1234; x-api-key: \(key)\\nCRITICAL fake log line"
        return #"{"error":{"message":"\#(text)","type":"invalid_request_error"}}"#
    }

    static func assertClean(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!text.contains(key), "\(what) carries the provider key: \(text)", sourceLocation: sourceLocation)
        #expect(!text.contains("sk-proj-abcdefghijklmnop1234"), "\(what) carries an sk- key: \(text)", sourceLocation: sourceLocation)
    }

    @Test("a 400 echoing the Authorization header: the client's 400 and the log carry no key")
    func rejectedPath() async throws {
        let log = CapturedLog()
        try await RouterHarness.withStub({ request, connection in
            try await connection.write(StubProvider.response(status: "400 Bad Request", body: Self.echo(request)))
        }, healthyFallback: false, logger: log.logger()) { harness, stub in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 400)
            #expect(stub.requests.first?.headers["authorization"] == "Bearer \(Self.key)", "the stub did see the key")
            #expect(response.body.contains(#""type":"invalid_request_error""#))
            #expect(response.body.contains("HTTP 400"))
            Self.assertClean(response.body, "the 400")
        }
        #expect(!log.all.isEmpty)
        for line in log.all { Self.assertClean(line, "a log line") }
    }

    @Test("a 5xx echoing the Authorization header: the 502 naming each attempt and the log carry no key")
    func serverErrorPath() async throws {
        let log = CapturedLog()
        try await RouterHarness.withStub({ request, connection in
            try await connection.write(StubProvider.response(status: "500 Internal Server Error", body: Self.echo(request)))
        }, healthyFallback: false, logger: log.logger()) { harness, _ in
            for stream in [false, true] {
                let response = try await harness.chat(model: "m", stream: stream)
                #expect(response.status == 502)
                #expect(response.body.contains("HTTP 500"))
                Self.assertClean(response.body, "the 502")
                #expect(!response.body.contains("\\n"), "control characters are removed from the excerpt")
            }
        }
        for line in log.all {
            Self.assertClean(line, "a log line")
            #expect(!line.contains("\n"), "a provider's text cannot start a log line of its own: \(line)")
        }
    }

    @Test("an error event after the first token echoing the key: the in-stream error frame and the log carry no key")
    func midStreamPath() async throws {
        let log = CapturedLog()
        try await RouterHarness.withStub({ request, connection in
            try await connection.write(StubProvider.streamHead() + StubProvider.chunk("Hello"))
            try await connection.write("data: \(Self.echo(request))\n\n")
        }, logger: log.logger()) { harness, _ in
            let response = try await harness.chat(model: "m", stream: true)
            #expect(response.status == 200)
            #expect(streamedText(response.body) == "Hello")
            let last = try #require(ssePayloads(response.body).last)
            #expect(last.contains(#""error""#))
            Self.assertClean(response.body, "the stream")
        }
        #expect(log.all.contains { $0.contains("interrupted") })
        for line in log.all { Self.assertClean(line, "a log line") }
    }

    @Test("a refused connection or an unknown host tells the client the kind of failure, never the host or port")
    func connectionErrors() async throws {
        // A port nobody listens on: bound by a stub, which is then stopped.
        let closed = try await StubProvider.start { _, _ in }
        let port = closed.port
        await closed.stop()
        let log = CapturedLog()
        try await RouterHarness.run(logger: log.logger()) { _ in
            testYAML(ports: [port], extraProviders: """
                  - id: dns
                    base_url: http://user:hunter2@no-such-host.invalid:8099/v1
                    api_key: ${TEST_PROVIDER_KEY}
                    timeouts: { connect_ms: 1000, first_token_ms: 2000, idle_ms: 2000 }
                """, deploymentProviders: ["p0", "dns"])
        } _: { harness in
            let response = try await harness.chat(model: "m", stream: false)
            #expect(response.status == 502)
            #expect(response.body.contains("could not connect to the provider"), "\(response.body)")
            #expect(!response.body.contains("127.0.0.1") && !response.body.contains(String(port)), "\(response.body)")
            #expect(!response.body.contains("no-such-host") && !response.body.contains("8099"), "\(response.body)")
            #expect(!response.body.contains("hunter2"))
            // Admins keep the detail (on /admin/routes), with URL userinfo redacted.
            let runtimes = harness.router.engine.runtimes
            let refused = try #require(runtimes.first { $0.deployment.provider.id == "p0" }?.snapshot(now: MonotonicTime.now()).lastFailure)
            #expect(refused.contains("errno: 111"), "\(refused)")
            let dns = try #require(runtimes.first { $0.deployment.provider.id == "dns" }?.snapshot(now: MonotonicTime.now()).lastFailure)
            #expect(dns.contains("no-such-host.invalid") && !dns.contains("hunter2"), "\(dns)")
        }
        // The log keeps the upstream's own error: the host that did not resolve, the refusal's errno.
        #expect(log.all.contains { $0.contains("upstream attempt failed") && $0.contains("no-such-host.invalid") })
        #expect(log.all.contains { $0.contains("upstream attempt failed") && $0.contains("errno: 111") })
        #expect(!log.all.contains { $0.contains("hunter2") })
    }
}

extension ProviderSecretsTests {
    @Test("a probe whose stream reports an error echoing our key: /admin/routes shows the failure, never the key")
    func probeErrors() async throws {
        let probes = """
            probes:
              interval_ms: 100
              open_interval_ms: 100
              ready_timeout_ms: 20000
              first_token_timeout_ms: 2000
            admin_keys:
              - { id: ops, key: admin-secret }
            """
        try await RouterHarness.withStub({ request, connection in
            try await connection.write(StubProvider.streamHead() + "data: \(Self.echo(request))\n\n")
        }, healthyFallback: false, extraYAML: probes) { harness, stub in
            var admin = ""
            for _ in 0..<400 {
                admin = try await harness.send("/admin/routes", method: .GET, headers: [("authorization", "Bearer admin-secret")]).body
                if admin.contains("Incorrect API key") { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(admin.contains("Incorrect API key"), "the probe's failure is shown: \(admin)")
            #expect(stub.requests.contains { $0.headers["authorization"] == "Bearer \(Self.key)" })
            Self.assertClean(admin, "/admin/routes")
        }
    }
}
