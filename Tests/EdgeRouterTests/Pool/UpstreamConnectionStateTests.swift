import Testing

@testable import EdgeRouter
@testable import RoutingCore

/// The life of a pooled upstream connection as a plain value: which events release it, close it, fail its request
/// (and when that request may be sent again), and how reads wait for a slow receiver.
@Suite("Upstream connection state")
struct UpstreamConnectionStateTests {
    @Test("a keep-alive response releases the connection for the next request; one with Connection: close closes it")
    func endReleasesOrCloses() {
        var state = UpstreamConnectionState()
        #expect(state.isReady)
        let result1 = state.start()
        #expect(result1)
        #expect(!state.isReady)
        let result2 = state.start()
        #expect(!result2, "one request at a time")
        state.receivedHead(keepAlive: true)
        let result3 = state.receivedEnd()
        #expect(result3 == .release)
        #expect(state.isReady)
        let result4 = state.start()
        #expect(result4)
        state.receivedHead(keepAlive: false)
        let result5 = state.receivedEnd()
        #expect(result5 == .close)
        #expect(!state.isReady)
        let result6 = state.start()
        #expect(!result6)
        #expect(state.requests == 2)
    }

    @Test("a failure before any response byte is retryable only on a connection that served a request before")
    func retryableOnlyWhenReused() {
        var fresh = UpstreamConnectionState()
        _ = fresh.start()
        let result7 = fresh.failed()
        #expect(result7 == .failRequest(retryable: false), "a fresh connection that fails is the provider's failure")

        var reused = UpstreamConnectionState()
        _ = reused.start()
        reused.receivedHead(keepAlive: true)
        _ = reused.receivedEnd()
        _ = reused.start()
        let result8 = reused.failed()
        #expect(result8 == .failRequest(retryable: true))
        let result9 = reused.failed()
        #expect(result9 == .ignore, "a failure is reported once")

        var answered = UpstreamConnectionState()
        _ = answered.start()
        answered.receivedHead(keepAlive: true)
        _ = answered.receivedEnd()
        _ = answered.start()
        answered.receivedHead(keepAlive: true)
        let result10 = answered.failed()
        #expect(result10 == .failRequest(retryable: false), "once the response began, sending again could answer twice")
    }

    @Test("an idle connection that closes is dropped from the pool, with no request to fail")
    func idleClose() {
        var state = UpstreamConnectionState()
        let result11 = state.failed()
        #expect(result11 == .dropIdle)
        let result12 = state.failed()
        #expect(result12 == .ignore)
    }

    @Test("an abort closes a connection with a response under way, and the end that may still arrive is ignored")
    func abortClosesBusy() {
        var idle = UpstreamConnectionState()
        let result13 = idle.abort()
        #expect(!result13, "nothing under way: nothing to cut")
        var busy = UpstreamConnectionState()
        _ = busy.start()
        let result14 = busy.abort()
        #expect(result14)
        let result15 = busy.receivedEnd()
        #expect(result15 == .ignore)
        let result16 = busy.failed()
        #expect(result16 == .ignore)
    }

    @Test("reads wait while paused and the one held is issued on resume; a resume with none held issues none")
    func pausedReads() {
        var state = UpstreamConnectionState()
        _ = state.start()
        let result17 = state.read()
        #expect(result17)
        state.pause()
        #expect(state.isPaused)
        let result18 = state.read()
        #expect(!result18)
        let result19 = state.read()
        #expect(!result19)
        let result20 = state.resume()
        #expect(result20, "the held read goes ahead")
        let result21 = state.read()
        #expect(result21)
        state.pause()
        let result22 = state.resume()
        #expect(!result22, "no read was asked for meanwhile")
        state.pause()
        _ = state.read()
        state.receivedHead(keepAlive: true)
        let result23 = state.receivedEnd()
        #expect(result23 == .release)
        #expect(!state.isPaused, "the next request starts unpaused")
        let result24 = state.read()
        #expect(result24)
    }
}

/// A provider's base URL read once into what its connections need.
@Suite("Upstream origin")
struct UpstreamOriginTests {
    @Test("scheme, host, port, Host header, base path and TLS server name (none for an IP address) from http and https URLs, IPv6 literals included, userinfo and fragment dropped, the query joined to every request's")
    func parses() throws {
        let plain = try #require(UpstreamOrigin(baseURL: "http://127.0.0.1:8080/v1/"))
        #expect(!plain.isTLS && plain.host == "127.0.0.1" && plain.port == 8080)
        #expect(plain.hostHeader == "127.0.0.1:8080" && plain.basePath == "/v1")
        #expect(plain.target("/chat/completions") == "/v1/chat/completions")
        #expect(plain.tlsServerName == nil, "an IP address is not a TLS server name")

        let tls = try #require(UpstreamOrigin(baseURL: "HTTPS://api.example.com"))
        #expect(tls.isTLS && tls.host == "api.example.com" && tls.port == 443)
        #expect(tls.hostHeader == "api.example.com" && tls.basePath == "")
        #expect(tls.tlsServerName == "api.example.com")

        let six = try #require(UpstreamOrigin(baseURL: "https://[::1]:8443/api"))
        #expect(six.host == "::1" && six.port == 8443 && six.hostHeader == "[::1]:8443" && six.basePath == "/api")
        #expect(six.tlsServerName == nil)
        let userinfo = try #require(UpstreamOrigin(baseURL: "http://user:p@ss@proxy.internal:8080/v1"))
        #expect(userinfo.host == "proxy.internal" && userinfo.hostHeader == "proxy.internal:8080", "userinfo is dropped")
        let azure = try #require(UpstreamOrigin(baseURL: "https://x.openai.azure.com/openai/v1?api-version=preview#frag"))
        #expect(azure.basePath == "/openai/v1" && azure.query == "api-version=preview")
        #expect(azure.target("/chat/completions") == "/openai/v1/chat/completions?api-version=preview")
        #expect(azure.target("/m:streamGenerateContent?alt=sse") == "/openai/v1/m:streamGenerateContent?alt=sse&api-version=preview")
        let queryOnly = try #require(UpstreamOrigin(baseURL: "http://h:81?v=2"))
        #expect(queryOnly.hostHeader == "h:81" && queryOnly.basePath == "" && queryOnly.target("/x") == "/x?v=2")
        let sixDefault = try #require(UpstreamOrigin(baseURL: "http://[fe80::1]"))
        #expect(sixDefault.port == 80 && sixDefault.hostHeader == "[fe80::1]")
    }

    @Test("other schemes, empty hosts and bad ports are refused, never trapped on")
    func refuses() {
        for url in [
            "ftp://h/", "h:80", "http://", "http://user:pw@/", "http://?x=1", "http://h:0",
            "http://h:65536", "http://h:99999999999999999999999", "http://h:-1", "http://h:x", "http://[::1", "http://[::1]x",
            "http://:80",
        ] {
            #expect(UpstreamOrigin(baseURL: url) == nil, "\(url)")
        }
    }

    @Test("every URL made from a base URL with a query puts the path before it, as the pool's request target does")
    func endpointURLsKeepTheQuery() throws {
        let configuration = try ConfigurationLoader.parse(yaml: testYAML(ports: [8080]), environment: ["TEST_PROVIDER_KEY": "k"])
        var deployment = try #require(configuration.models.first?.deployments.first)
        deployment.provider.baseURL = "https://x.example/openai/v1?api-version=preview"
        #expect(ProviderEndpoint.url(for: deployment) == "https://x.example/openai/v1/chat/completions?api-version=preview")
        #expect(ProviderEndpoint.embeddingsURL(for: deployment) == "https://x.example/openai/v1/embeddings?api-version=preview")
        let origin = try #require(UpstreamOrigin(baseURL: deployment.provider.baseURL))
        #expect(origin.target(ProviderEndpoint.path(for: deployment)) == "/openai/v1/chat/completions?api-version=preview")
        deployment.provider.baseURL = "http://x.example/v1"
        #expect(ProviderEndpoint.url(for: deployment) == "http://x.example/v1/chat/completions")
    }
}
