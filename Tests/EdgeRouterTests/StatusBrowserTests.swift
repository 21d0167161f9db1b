import EdgeRouter
import Foundation
import ProviderSim
import Testing

/// Whether the real-browser tests can run here: Debian's `chromium` and `chromium-driver`, and the test Python with
/// Selenium (`scripts/python-env`, whose path `scripts/test` puts in `EDGE_TEST_PYTHON`). In CI (`CI` set) they
/// always run, so that a machine without the browser fails instead of skipping them.
enum StatusBrowser {
    static let inCI = !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty
    static let hasBrowser = ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    static let available = inCI || (hasBrowser && PythonScript.python != nil)
    /// A directory to save the README's screenshots in (`docs/`), when they are to be taken again.
    static let screenshotDirectory = ProcessInfo.processInfo.environment["EDGE_STATUS_SCREENSHOTS"]
}

/// The status page in headless Chromium driven by Selenium (`Fixtures/status_page_browser.py`): login through the
/// form, the deployments, a simulator made to fail and recover seen live, and logout.
@Suite("Status page in a real browser", .timeLimit(.minutes(5)))
struct StatusBrowserTests {
    static let skipReason: Comment =
        "needs Debian's chromium and chromium-driver (scripts/bootstrap) and EDGE_TEST_PYTHON with selenium (scripts/python-env); runs whenever CI is set"

    @Test(
        "the browser logs in through the form, sees every deployment, watches a failing provider's breaker open and close live, and logs out",
        .enabled(if: StatusBrowser.available, skipReason))
    func browser() async throws {
        let yaml: @Sendable ([Int]) -> String = { ports in
            RoutingTests.yaml(ports, breaker: "{ base_open_ms: 500, consecutive_failures: 2 }") + """

                probes: { interval_ms: 200, open_interval_ms: 150, ready_timeout_ms: 20000, first_token_timeout_ms: 2000 }
                admin_keys:
                  - { id: ops, key: \(StatusClient.adminKey) }
                status: { event_interval_ms: 500, sample_interval_ms: 1000 }
                """
        }
        try await RouterHarness.run(sims: StatusPageTests.sims(2), yaml: yaml) { harness in
            let (status, output) = try await PythonScript.run(
                "status_page_browser.py",
                arguments: [
                    harness.base, StatusClient.adminKey, "http://127.0.0.1:\(harness.simPorts[0])/_sim/config", "p0", "p0,p1",
                ],
                limit: 180)
            #expect(status == 0, "\(output)")
            for line in [
                "login form: shown", "wrong key: refused with a message", "deployments: p0,p1", "cookie: HttpOnly, SameSite=Strict",
                "live: updated without reload", "failure: breaker open, live: reason:", "recovery: breaker closed, live",
                "logout: form shown, cookie cleared",
            ] {
                #expect(output.contains(line), "\(line)\n\(output)")
            }
        }
    }

    /// The README's screenshots (`docs/status-page.png`, `docs/status-page-phone.png`): the demo's providers under
    /// steady traffic, one of them failing. Taken only when `EDGE_STATUS_SCREENSHOTS` names the directory.
    @Test(
        "screenshots of the demo's page with a failing provider, at desktop and phone widths",
        .enabled(if: StatusBrowser.available && StatusBrowser.screenshotDirectory != nil, "EDGE_STATUS_SCREENSHOTS is not set"))
    func screenshots() async throws {
        let directory = try #require(StatusBrowser.screenshotDirectory)
        let sims = try DemoConfiguration.providers.map { provider in
            var settings = SimulatorSettings()
            try settings.apply(json: provider.behaviour)
            settings.dialect = SimulatorDialect(rawValue: DemoConfiguration.simulatorDialect(of: provider.dialect)) ?? .openai
            return settings
        }
        let yaml: @Sendable ([Int]) -> String = { ports in
            DemoConfiguration.yaml(routerPort: 0, simPorts: ports) + "\nstatus: { sample_interval_ms: 1000, history_minutes: 1, event_interval_ms: 1000 }\n"
        }
        try await RouterHarness.run(sims: sims, yaml: yaml) { harness in
            let steady = try #require(DemoConfiguration.providers.firstIndex { $0.id == "sim-steady" })
            // Steady traffic on every model, so that shares, failovers and charts have something to show.
            let traffic = Task {
                while !Task.isCancelled {
                    for model in ["demo-chat", "demo-mini", "demo-multi"] {
                        _ = try? await harness.send(
                            "/v1/chat/completions", body: RouterHarness.chatBody(model: model, stream: false),
                            headers: [("authorization", "Bearer \(DemoConfiguration.clientKey)")])
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            defer { traffic.cancel() }
            // A minute of history before the page is opened.
            try await Task.sleep(for: .seconds(45))
            let (status, output) = try await PythonScript.run(
                "status_page_browser.py",
                arguments: [
                    harness.base, DemoConfiguration.adminKey, "http://127.0.0.1:\(harness.simPorts[steady])/_sim/config", "sim-steady",
                    DemoConfiguration.providers.map(\.id).joined(separator: ","), directory,
                ],
                limit: 240)
            traffic.cancel()
            _ = await traffic.value
            #expect(status == 0, "\(output)")
            #expect(output.contains("screenshots: saved"), "\(output)")
        }
    }
}
