@testable import EdgeRouter
import Foundation
import Testing

@Suite("Configuration of client connections (server.timeouts, caps, reserve) and the Date header format")
struct ConnectionSettingsTests {
    static func yaml(_ server: String) -> String {
        ConfigurationTests.valid.replacingOccurrences(
            of: "server: { port: 9000, max_attempts: 2, request_timeout_ms: 5000 }", with: "server:\n\(server)")
    }

    @Test("the defaults are 10 s, 30 s and 60 s, 256 connections per client, 128 descriptors in reserve and a backlog of 4096")
    func defaults() throws {
        let limits = try ConfigurationLoader.parse(yaml: Self.yaml("  port: 9000"), environment: ConfigurationTests.environment)
            .server.connections
        #expect(limits.headerRead == .seconds(10) && limits.bodyRead == .seconds(30) && limits.idle == .seconds(60))
        #expect(limits.maxPerClient == 256 && limits.descriptorReserve == 128)
        #expect(limits.listenBacklog == 4096)
    }

    @Test("server.timeouts, max_connections_per_client, descriptor_reserve and listen_backlog are read, 0 turning the cap off")
    func configured() throws {
        let server = """
              timeouts: { header_read_ms: 1500, body_read_ms: 2500, idle_ms: 3500 }
              max_connections_per_client: 0
              descriptor_reserve: 16
              listen_backlog: 512
            """
        let limits = try ConfigurationLoader.parse(yaml: Self.yaml(server), environment: ConfigurationTests.environment)
            .server.connections
        #expect(limits.headerRead == .milliseconds(1500) && limits.bodyRead == .milliseconds(2500))
        #expect(limits.idle == .milliseconds(3500))
        #expect(limits.maxPerClient == 0 && limits.descriptorReserve == 16)
        #expect(limits.listenBacklog == 512)
    }

    @Test("a zero or negative timeout, a negative cap and an unknown timeout are each named with their path")
    func mistakes() {
        let server = """
              timeouts: { header_read_ms: 0, idle: 5 }
              max_connections_per_client: -1
            """
        let found = ConfigurationTests.issues(Self.yaml(server))
        #expect(found.contains { $0.hasPrefix("server.timeouts.header_read_ms") })
        #expect(found.contains { $0.hasPrefix("server.timeouts.idle") })
        #expect(found.contains { $0.hasPrefix("server.max_connections_per_client") })
    }

    @Test("the Date header is an IMF-fixdate")
    func dateFormat() {
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(1_796_394_347) == "Fri, 04 Dec 2026 14:25:47 GMT")
    }
}
