import EdgeRouter
import Foundation
import NIOHTTP1
import ProviderSim
import RoutingCore
import Testing

/// `/status`: the login, the session cookie, bearer access, the rendered page and its event stream, against a
/// router in front of simulators.
@Suite("Status page", .timeLimit(.minutes(5)))
struct StatusPageTests {
    static func yaml(_ ports: [Int], status: String = "") -> String {
        testYAML(ports: ports) + """

            admin_keys:
              - { id: ops, key: \(StatusClient.adminKey) }
            status: { event_interval_ms: 200\(status) }
            """
    }

    static func sims(_ count: Int = 2) -> [SimulatorSettings] {
        (0..<count).map { _ in ChatStreamingTests.fastSim() }
    }

    static func json(_ payload: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
    }

    @Test("GET /status without credentials answers 401 with the login form; the event stream answers 401")
    func loginFormWithoutCredentials() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                let page = try await status.send("/status")
                #expect(page.status == 401)
                #expect(page.headers.first(name: "content-type") == "text/html; charset=utf-8")
                #expect(page.body.contains(#"<form method="post" action="/status/login">"#))
                #expect(page.body.contains(#"name="key" type="password""#))
                #expect(!page.body.contains("data-provider"))
                #expect(try await status.send("/status/events").status == 401)
            }
        }
    }

    @Test("login with the admin key answers 303 to /status with an HttpOnly, SameSite=Strict cookie on /status holding a random token, not the key")
    func loginSetsCookie() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                let response = try await status.send("/status/login", method: .POST, form: "key=\(StatusClient.adminKey)")
                #expect(response.status == 303)
                #expect(response.headers.first(name: "location") == "/status")
                let cookie = try #require(response.headers.first(name: "set-cookie"))
                let attributes = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                #expect(attributes.contains("HttpOnly"))
                #expect(attributes.contains("SameSite=Strict"))
                #expect(attributes.contains("Path=/status"))
                #expect(attributes.contains("Max-Age=43200"))
                #expect(!attributes.contains("Secure"), "plain HTTP from a peer that is no trusted proxy")
                let token = try #require(attributes.first?.split(separator: "=", maxSplits: 1).last.map(String.init))
                #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
                #expect(!cookie.contains(StatusClient.adminKey))
                // A second login gets another token.
                #expect(try await status.login().cookie != attributes.first)
            }
        }
    }

    @Test("the session cookie opens the page and the event stream")
    func cookieOpensPage() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                let cookie = try #require(try await status.login().cookie)
                let page = try await status.send("/status", headers: [("cookie", "other=1; \(cookie)")])
                #expect(page.status == 200)
                #expect(page.body.contains(#"data-provider="p0""#))
                #expect(page.body.contains(#"<form method="post" action="/status/logout">"#))
                let events = try await status.events(1, headers: [("cookie", cookie)])
                #expect(events.count == 1)
            }
        }
    }

    @Test("logout clears the cookie and the old session no longer opens the page or the stream")
    func logoutRevokes() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                let cookie = try #require(try await status.login().cookie)
                #expect(try await status.send("/status", headers: [("cookie", cookie)]).status == 200)
                let logout = try await status.send("/status/logout", method: .POST, headers: [("cookie", cookie)])
                #expect(logout.status == 303)
                let cleared = try #require(logout.headers.first(name: "set-cookie"))
                #expect(cleared.hasPrefix("edge_status=;") && cleared.contains("Max-Age=0"))
                let after = try await status.send("/status", headers: [("cookie", cookie)])
                #expect(after.status == 401)
                #expect(after.body.contains(#"action="/status/login""#))
                #expect(try await status.send("/status/events", headers: [("cookie", cookie)]).status == 401)
            }
        }
    }

    @Test("a wrong key at login gets the form again with a message and 401, and no cookie")
    func wrongKey() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                for form in ["key=wrong", "key=\(RouterHarness.clientKey)", "key=", "other=1"] {
                    let response = try await status.send("/status/login", method: .POST, form: form)
                    #expect(response.status == 401, "\(form)")
                    #expect(response.headers.first(name: "set-cookie") == nil, "\(form)")
                    #expect(response.body.contains(#"<p class="error" role="alert">"#), "\(form)")
                    #expect(response.body.contains(#"action="/status/login""#), "\(form)")
                }
                let wrong = try await status.send("/status/login", method: .POST, form: "key=wrong")
                #expect(wrong.body.contains("That is not an admin key."))
                #expect(!wrong.body.contains("wrong\""), "the key tried is not echoed")
            }
        }
    }

    @Test("a cross-site login or logout (foreign Origin, or Sec-Fetch-Site other than same-origin) is refused with 403")
    func crossSiteRefused() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                let host = harness.base.replacingOccurrences(of: "http://", with: "")
                for headers in [[("origin", "https://evil.example")], [("sec-fetch-site", "cross-site")], [("origin", "null")],
                    [("sec-fetch-site", "same-site"), ("origin", "http://\(host)")]]
                {
                    let login = try await status.send("/status/login", method: .POST, form: "key=\(StatusClient.adminKey)", headers: headers)
                    #expect(login.status == 403, "\(headers)")
                    #expect(login.headers.first(name: "set-cookie") == nil)
                    #expect(try await status.send("/status/logout", method: .POST, headers: headers).status == 403, "\(headers)")
                }
                // The page's own form, as a browser posts it.
                let own = try await status.send(
                    "/status/login", method: .POST, form: "key=\(StatusClient.adminKey)",
                    headers: [("origin", "http://\(host)"), ("sec-fetch-site", "same-origin")])
                #expect(own.status == 303)
            }
        }
    }

    @Test("Authorization: Bearer with an admin key opens the page and the stream; a client key or a wrong key does not")
    func bearer() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                let page = try await status.send("/status", headers: [("authorization", "Bearer \(StatusClient.adminKey)")])
                #expect(page.status == 200)
                #expect(page.body.contains(#"data-provider="p1""#))
                #expect(try await status.events(1, headers: [("authorization", "Bearer \(StatusClient.adminKey)")]).count == 1)
                for key in [RouterHarness.clientKey, "wrong"] {
                    let refused = try await status.send("/status", headers: [("authorization", "Bearer \(key)")])
                    #expect(refused.status == 401)
                    #expect(refused.body.contains("That is not an admin key."))
                }
            }
        }
    }

    @Test("the demo's page lists every deployment's provider id per model, node facts, and a nonce-only Content-Security-Policy")
    func demoPage() async throws {
        let sims = try DemoConfiguration.providers.map { provider in
            var settings = SimulatorSettings()
            try settings.apply(json: provider.behaviour)
            settings.dialect = SimulatorDialect(rawValue: DemoConfiguration.simulatorDialect(of: provider.dialect)) ?? .openai
            return settings
        }
        try await RouterHarness.run(sims: sims, yaml: { DemoConfiguration.yaml(routerPort: 0, simPorts: $0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                let page = try await status.send("/status", headers: [("authorization", "Bearer \(DemoConfiguration.adminKey)")])
                #expect(page.status == 200)
                let yaml = DemoConfiguration.yaml(routerPort: 0, simPorts: harness.simPorts)
                let configuration = try ConfigurationLoader.parse(yaml: yaml)
                for model in configuration.models {
                    #expect(page.body.contains(#"<section class="model" data-model="\#(model.name)">"#))
                    for deployment in model.deployments {
                        #expect(
                            page.body.contains(#"data-model="\#(model.name)" data-provider="\#(deployment.provider.id)""#),
                            "\(model.name) \(deployment.provider.id)")
                    }
                }
                #expect(page.body.contains(#"<meta name="viewport" content="width=device-width, initial-scale=1">"#))
                #expect(page.body.contains(#"<dd id="version">\#(EdgeRouterVersion.current)</dd>"#))
                #expect(page.body.contains(#"title="SHA-256 \#(try #require(configuration.checksum))""#))
                let policy = try #require(page.headers.first(name: "content-security-policy"))
                let nonce = try #require(policy.firstMatch(of: /script-src 'nonce-([0-9a-f]{32})'/)?.1)
                #expect(policy.hasPrefix("default-src 'none'; style-src 'nonce-\(nonce)';"))
                #expect(!policy.contains("unsafe-inline") && !policy.contains("http"))
                #expect(page.body.contains(#"<script nonce="\#(nonce)">"#) && page.body.contains(#"<style nonce="\#(nonce)">"#))
                #expect(!page.body.contains("src=\"http") && !page.body.contains("href=\"http"))
                #expect(page.headers.first(name: "cache-control") == "no-store")
                // Another response, another nonce.
                let again = try await status.send("/status", headers: [("authorization", "Bearer \(DemoConfiguration.adminKey)")])
                #expect(again.headers.first(name: "content-security-policy") != policy)
            }
        }
    }

    @Test("the event stream sends a JSON snapshot at once and then every event interval, each with every deployment")
    func eventsStreamSnapshots() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0) }) { harness in
            try await StatusClient.with(harness.base) { status in
                _ = try await harness.chat(model: "m", stream: false)
                let started = ContinuousClock.now
                let events = try await status.events(3, headers: [("authorization", "Bearer \(StatusClient.adminKey)")])
                #expect(ContinuousClock.now - started >= .milliseconds(300), "two intervals of 200 ms after the first")
                var stamps: [String] = []
                for event in events {
                    let snapshot = try Self.json(event)
                    let node = try #require(snapshot["node"] as? [String: Any])
                    #expect(node["version"] as? String == EdgeRouterVersion.current)
                    #expect((node["config_checksum"] as? String)?.count == 64)
                    let models = try #require(snapshot["models"] as? [[String: Any]])
                    let deployments = try #require(models.first?["deployments"] as? [[String: Any]])
                    #expect(Set(deployments.compactMap { $0["provider"] as? String }) == ["p0", "p1"])
                    let first = try #require(deployments.first)
                    #expect(first["breaker"] as? String == "closed")
                    #expect(first["expected_ms"] is Double)
                    #expect((first["chart"] as? [String: Any])?["expected"] is String)
                    stamps.append(try #require(snapshot["generated_at"] as? String))
                }
                #expect(stamps.count == 3)
            }
        }
    }

    @Test("a deployment that fails shows its failovers per minute, its open breaker and its reason in the snapshot")
    func failoversAndBreaker() async throws {
        var failing = ChatStreamingTests.fastSim()
        failing.errorRate = 1
        try await RouterHarness.run(
            sims: [failing, ChatStreamingTests.fastSim()],
            yaml: { RoutingTests.yaml($0, breaker: "{ base_open_ms: 30000, consecutive_failures: 1 }") + """

                admin_keys:
                  - { id: ops, key: \(StatusClient.adminKey) }
                """ }
        ) { harness in
            try await StatusClient.with(harness.base) { status in
                for _ in 0..<3 { #expect(try await harness.chat(model: "m", stream: false).status == 200) }
                let event = try #require(try await status.events(1, headers: [("authorization", "Bearer \(StatusClient.adminKey)")]).first)
                let model = try #require((try Self.json(event)["models"] as? [[String: Any]])?.first)
                let deployments = try #require(model["deployments"] as? [[String: Any]])
                let p0 = try #require(deployments.first { $0["provider"] as? String == "p0" })
                #expect(p0["breaker"] as? String == "open")
                #expect(p0["breaker_reason"] as? String == "consecutiveFailures")
                #expect(p0["rank"] == nil, "an open breaker is listed but not ranked")
                #expect((p0["failovers_per_minute"] as? Double ?? 0) >= 1)
                #expect((model["failovers_per_minute"] as? Double ?? 0) >= 1)
                let p1 = try #require(deployments.first { $0["provider"] as? String == "p1" })
                #expect(p1["traffic_share"] as? Double ?? 0 > 0)
                let page = try await status.send("/status", headers: [("authorization", "Bearer \(StatusClient.adminKey)")]).body
                #expect(page.contains(#"data-provider="p0" data-breaker="open">"#))
                #expect(page.contains("reason: consecutiveFailures"))
            }
        }
    }

    @Test("event streams beyond status.max_event_streams are refused with 503, and a freed place is given again")
    func boundedStreams() async throws {
        try await RouterHarness.run(sims: Self.sims(), yaml: { Self.yaml($0, status: ", max_event_streams: 1") }) { harness in
            try await StatusClient.with(harness.base) { status in
                let auth = [("authorization", "Bearer \(StatusClient.adminKey)")]
                let holder = Task { try await status.events(1000, headers: auth, within: .seconds(60)) }
                defer { holder.cancel() }
                // Refused once the first stream holds the only place (the holder's request may still be on its way).
                var refused = false
                for _ in 0..<200 where !refused {
                    do {
                        _ = try await status.events(1, headers: auth)
                        try await Task.sleep(for: .milliseconds(20))
                    } catch StatusClientError.status(let code) {
                        #expect(code == 503)
                        refused = true
                    }
                }
                #expect(refused)
                holder.cancel()
                _ = await holder.result
                // The server notices the closed stream at its next event (every 200 ms).
                var reopened = false
                for _ in 0..<200 where !reopened {
                    reopened = (try? await status.events(1, headers: auth, within: .seconds(5)))?.count == 1
                    if !reopened { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(reopened)
            }
        }
    }
}
