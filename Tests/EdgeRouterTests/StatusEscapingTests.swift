import AsyncHTTPClient
import EdgeRouter
import Foundation
import RoutingCore
import Testing

/// What a hostile configuration or upstream could put on the status page stays text: every value is HTML-escaped.
@Suite("Status page escaping", .timeLimit(.minutes(2)))
struct StatusEscapingTests {
    static let hostileProvider = #"<script>alert("p")</script>'&"#
    static let hostileModel = #"<img src=x onerror=alert(1)>"#
    static let hostileUpstream = #"up"><svg onload=alert(2)>"#

    @Test("a hostile provider id, model name and upstream model are HTML-escaped in the page, never markup")
    func hostileNames() async throws {
        // Built in code: the configuration file refuses such a provider id, the page must not rely on that.
        let provider = Provider(id: Self.hostileProvider, baseURL: "http://127.0.0.1:9/v1", region: "<b>r</b>")
        var keys = KeyRing()
        keys.add(GatewayKey(id: "ops"), secret: StatusClient.adminKey)
        var server = ServerSettings()
        server.port = 0
        let configuration = RouterConfiguration(
            server: server, providers: [provider],
            models: [Model(name: Self.hostileModel, deployments: [Deployment(provider: provider, upstreamModel: Self.hostileUpstream)])],
            keys: KeyRing(), adminKeys: keys)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let router = try EdgeRouterServer(configuration: configuration, logger: RouterHarness.logger) { portContinuation.yield($0) }
        let service = ServiceRunner([router])
        do {
            let port = try await first(of: ports, "the router listening")
            try await StatusClient.with("http://127.0.0.1:\(port)") { status in
                let page = try await status.send("/status", headers: [("authorization", "Bearer \(StatusClient.adminKey)")])
                #expect(page.status == 200)
                for hostile in [Self.hostileProvider, Self.hostileModel, Self.hostileUpstream, "<b>r</b>"] {
                    #expect(!page.body.contains(hostile), "\(hostile) appears unescaped")
                }
                #expect(page.body.contains("&lt;script&gt;alert(&quot;p&quot;)&lt;/script&gt;&#39;&amp;"))
                #expect(page.body.contains(#"data-model="&lt;img src=x onerror=alert(1)&gt;""#))
                #expect(page.body.contains("up&quot;&gt;&lt;svg onload=alert(2)&gt;"))
                // The page's own script is the only one: nothing hostile opened another.
                #expect(page.body.components(separatedBy: "<script").count == 2)
                // The live snapshot is JSON, which the page's script puts in text nodes.
                let event = try #require(try await status.events(1, headers: [("authorization", "Bearer \(StatusClient.adminKey)")]).first)
                let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
                let model = try #require((snapshot["models"] as? [[String: Any]])?.first)
                #expect(model["name"] as? String == Self.hostileModel)
            }
        } catch {
            await service.stopAndWait()
            throw error
        }
        await service.stopAndWait()
    }
}
