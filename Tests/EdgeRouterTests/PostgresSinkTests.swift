import EdgeRouter
import Foundation
import Logging
import NIOHTTP1
import PostgresTestServer
import ProviderSim
import RequestLog
import Synchronization
import Testing

/// `log.sink: postgres` through the router: configuration, no loss and no duplicate while PostgreSQL is stopped
/// and restarted under traffic, and budgets shared by two routers.
@Suite(
    "PostgreSQL sink through the router", .postgresServer, .serialized, .enabled(if: PostgresTestServer.isAvailable),
    .timeLimit(.minutes(3)))
struct PostgresSinkTests {
    @Test("a router serving traffic while PostgreSQL is killed and restarted: PostgreSQL ends with one row per request the simulator received, no duplicate id, and the spool empty")
    func stopAndRestartUnderTraffic() async throws {
        let server = try PostgresTestServer.suiteServer()
        let database = try server.createDatabase()
        let spool = try RequestRecordTests.logPath()
        let settings = try server.settings(database: database)
        var fast = SimulatorSettings()
        fast.ttftMilliseconds = 2
        fast.tokensPerSecond = 2_000
        let received = try await RouterHarness.run(
            sims: [fast], environment: server.environment,
            yaml: { testYAML(ports: $0) + server.logYAML(database: database, spool: spool) }
        ) { harness in
            let loop = ClientLoop()
            // Two clients in a loop, until told to stop.
            let clients = [Task { await loop.run(harness) }, Task { await loop.run(harness) }]
            let sim = harness.sims[0]
            #expect(await sim.waitForStats { $0.received >= 50 }.received >= 50)
            try await server.stopInBackground()
            try await Self.waitForMetric(harness, "edge_log_rows_spooled_total", "rows spooled") { $0 >= 20 }
            try await server.startInBackground()
            let restartedAt = sim.stats.received
            #expect(await sim.waitForStats { $0.received >= restartedAt + 100 }.received >= restartedAt + 100)
            loop.sending.store(false, ordering: .relaxed)
            for client in clients { await client.value }
            #expect(loop.failures.load(ordering: .relaxed) == 0)
            let total = sim.stats.received
            // Every record reaches PostgreSQL, spooled ones once drained: nothing to await but the rows themselves.
            let reader = PostgresRequestStore(settings: settings, logger: RouterHarness.logger)
            try await withRunning(reader) {
                _ = try await bounded(.seconds(60), "\(total) rows in PostgreSQL") {
                    while try await reader.count() < total { try await Task.sleep(for: .milliseconds(50)) }
                }
            }
            try await Self.waitForMetric(harness, "edge_log_spool_rows", "an empty spool") { $0 == 0 }
            return total
        }
        let reader = PostgresRequestStore(settings: settings, logger: RouterHarness.logger)
        try await withRunning(reader) {
            let ids = try await reader.allRequestIDs()
            #expect(ids.count == received)
            #expect(Set(ids).count == ids.count)
        }
        #expect(try await SQLiteRequestStore(path: spool).count() == 0)
        print("postgres sink under traffic: \(received) requests, one row each")
    }

    @Test("two routers sharing one database and one capped key: the fleet's overshoot stays within nodes x requests admitted per refresh interval x cost per request")
    func fleetBudgetOvershoot() async throws {
        let server = try PostgresTestServer.suiteServer()
        let database = try server.createDatabase()
        // 1,000 prompt and 100 answer tokens at $2 and $8 per million: $0.0028 a request; a budget of 20 of them.
        let cost = (1_000 * 2 + 100 * 8) / 1e6
        let budget = 20 * cost
        let refresh = Duration.milliseconds(250)
        var settings = SimulatorSettings()
        settings.promptTokens = 1_000
        settings.answerTokens = 100
        settings.ttftMilliseconds = 5
        settings.tokensPerSecond = 5_000
        let sim = settings
        let keys = """
              - id: capped
                key: capped-key-1
                budget: { usd_per_day: \(budget) }
            """
        let yaml: @Sendable ([Int], String) -> String = { ports, spool in
            RequestRecordTests.yaml(ports: ports, log: spool, keys: keys)
                .replacingOccurrences(of: "\nlog: { path: \"\(spool)\", batch_ms: 10 }\n", with: "\n")
                + server.logYAML(database: database, spool: spool, extra: "  budget_refresh_ms: 250")
        }
        let (spoolA, spoolB) = (try RequestRecordTests.logPath(), try RequestRecordTests.logPath())
        let outcome = try await RouterHarness.run(sims: [sim], environment: server.environment, yaml: { yaml($0, spoolA) }) { a in
            try await RouterHarness.run(sims: [sim], environment: server.environment, yaml: { yaml($0, spoolB) }) { b in
                let started = ContinuousClock.now
                // Each router's client sends until its router refuses for budget.
                async let admittedA = Self.sendUntilRefused(a)
                async let admittedB = Self.sendUntilRefused(b)
                let (countA, countB) = try await (admittedA, admittedB)
                return (countA, countB, ContinuousClock.now - started)
            }
        }
        let (countA, countB, elapsed) = outcome
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let admitted = countA + countB
        let allowed = Int((budget / cost).rounded(.up))
        let overshoot = admitted - allowed
        // Requests each node admits per refresh interval, at the rate it ran (plus the writer's 10 ms batch window
        // and one request in flight per client).
        let perInterval = Double(admitted) / seconds * (Double(refresh.components.attoseconds) / 1e18 + 0.01) / 2
        let bound = Int((2 * perInterval).rounded(.up)) + 2
        print(
            "fleet budget: \(allowed) requests allowed, \(admitted) admitted (\(countA) + \(countB)) in \(String(format: "%.2f", seconds)) s, "
                + "overshoot \(overshoot) requests = $\(String(format: "%.4f", Double(overshoot) * cost)); bound \(bound) requests")
        #expect(admitted >= allowed)
        #expect(overshoot <= bound)
        // Each node alone would have admitted the whole budget: the refresh is what held the fleet near it.
        #expect(countA < allowed || countB < allowed)
    }

    /// Sends requests with the capped key until one is refused; returns how many were admitted.
    static func sendUntilRefused(_ harness: RouterHarness) async throws -> Int {
        var admitted = 0
        for _ in 0..<1_000 {
            let response = try await harness.send(
                "/v1/chat/completions", body: RouterHarness.chatBody(model: "m", stream: false),
                headers: [("authorization", "Bearer capped-key-1")])
            guard response.status == 200 else {
                #expect(response.status == 429)
                return admitted
            }
            admitted += 1
        }
        Issue.record("the budget never refused")
        return admitted
    }

    /// Polls `/metrics` (no event tells a test when a gauge changes) until `name`'s value satisfies `condition`.
    static func waitForMetric(
        _ harness: RouterHarness, _ name: String, _ what: String, _ condition: @escaping @Sendable (Double) -> Bool
    ) async throws {
        _ = try await bounded(.seconds(60), what) {
            while true {
                let scrape = try await harness.send("/metrics", method: .GET).body
                let value = scrape.split(separator: "\n").first { $0.hasPrefix(name + " ") }
                    .flatMap { Double($0.split(separator: " ").last ?? "") }
                if let value, condition(value) { return }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

/// Clients sending chat requests in a loop until told to stop, counting what was not a 200.
final class ClientLoop: Sendable {
    let sending = Atomic<Bool>(true)
    let failures = Atomic<Int>(0)

    func run(_ harness: RouterHarness) async {
        while sending.load(ordering: .relaxed) {
            let response = try? await harness.chat(model: "m", stream: false)
            if response?.status != 200 { failures.add(1, ordering: .relaxed) }
        }
    }
}

/// `log.sink` and `log.postgres` in the file.
@Suite("PostgreSQL sink configuration")
struct PostgresSinkConfigurationTests {
    static let base = """
        providers:
          - { id: p, base_url: "http://127.0.0.1:1/v1" }
        models:
          - { name: m, deployments: [ { provider: p, model: u } ] }
        """

    @Test("sink: postgres reads the database, the password from the environment, tls, pool size, timeout and the budget refresh; the default sink is sqlite")
    func parsed() throws {
        let yaml = Self.base + """

            log:
              path: /tmp/spool.sqlite
              sink: postgres
              budget_refresh_ms: 2000
              postgres: { host: db.internal, port: 6432, database: edge, user: router, password: "${PG_PASSWORD}", tls: require, pool_size: 8, timeout_ms: 1500 }
            """
        let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: ["PG_PASSWORD": "s3cret-pw"])
        let log = configuration.log
        #expect(log.sink == .postgres && log.budgetRefreshInterval == .milliseconds(2000))
        let postgres = try #require(log.postgres)
        #expect(postgres.host == "db.internal" && postgres.port == 6432 && postgres.database == "edge" && postgres.user == "router")
        #expect(postgres.password == "s3cret-pw" && postgres.tls == .require && postgres.poolSize == 8)
        #expect(postgres.statementTimeout == .milliseconds(1500))
        #expect(!"\(postgres)".contains("s3cret-pw"))
        let sqlite = try ConfigurationLoader.parse(yaml: Self.base + "\nlog: { path: /tmp/log.sqlite }\n", environment: [:])
        #expect(sqlite.log.sink == .sqlite && sqlite.log.postgres == nil && sqlite.log.budgetRefreshInterval == .seconds(5))
    }

    @Test("mistakes are reported by path: an unknown sink, postgres without its section, a section without sink: postgres, a bad tls mode or pool size, a missing field; the password never appears")
    func mistakes() {
        let issues = { (log: String) -> [String] in
            ConfigurationTests.issues(Self.base + "\n" + log, environment: ["PG_PASSWORD": "s3cret-pw"])
        }
        #expect(issues("log: { path: /tmp/x, sink: mysql }").contains { $0.hasPrefix("log.sink:") && $0.contains("sqlite, postgres") })
        #expect(issues("log: { path: /tmp/x, sink: postgres }").contains { $0.hasPrefix("log.postgres:") && $0.contains("missing") })
        #expect(issues("log: { path: /tmp/x, postgres: { host: h, database: d, user: u } }").contains { $0.hasPrefix("log.postgres:") })
        let bad = issues(
            "log: { path: /tmp/x, sink: postgres, postgres: { host: h, user: u, password: \"${PG_PASSWORD}\", tls: maybe, pool_size: 0 } }")
        #expect(bad.contains { $0.hasPrefix("log.postgres.tls:") })
        #expect(bad.contains { $0.hasPrefix("log.postgres.pool_size:") })
        #expect(bad.contains { $0.hasPrefix("log.postgres.database:") && $0.contains("missing") })
        #expect(!bad.joined().contains("s3cret-pw"))
        let unset = issues("log: { path: /tmp/x, sink: postgres, postgres: { host: h, database: d, user: u, password: \"${NOT_SET_PW}\" } }")
        #expect(unset.contains { $0.hasPrefix("log.postgres.password:") && $0.contains("NOT_SET_PW") })
    }
}
