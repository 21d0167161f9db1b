import ArgumentParser
import Foundation
import EdgeRouter
import Logging
import RequestLog

/// `edge-router spend`: spend from the request log as a table, grouped as `/admin/spend` groups it. Reads the
/// configuration's `log.path` (a running router's file can be read at the same time: SQLite's WAL lets readers in),
/// or, with `log.sink: postgres`, the fleet's PostgreSQL database (rows still in a node's spool show once drained).
struct SpendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spend", abstract: "Print spend from the request log, grouped by dimensions and metadata.")

    @Option(name: .long, help: "Configuration file (default: $EDGE_ROUTER_CONFIG, else edge-router.yaml).")
    var config: String?

    @Option(name: .long, help: "A request log's SQLite file, read directly instead of the configuration's (the demo's: data/demo-requests.sqlite).")
    var log: String?

    @Option(
        name: .long,
        help: "Comma-separated dimensions: model, provider, upstream_model, key, dialect, status, region, country, day, metadata.<name>.")
    var groupBy: String?

    @Option(name: .long, help: "From this time: an ISO 8601 date or date-time, or a span back from now (90m, 24h, 7d).")
    var since: String?

    @Option(name: .long, help: "Until this time (same forms as --since).")
    var until: String?

    @Option(name: .long, help: "Only this gateway key's requests (its id).")
    var key: String?

    func run() async throws {
        do {
            let query = try SpendReport.spendQuery(groupBy: groupBy, from: since, to: until, key: key)
            if let log {
                guard FileManager.default.fileExists(atPath: log) else { Runtime.fail("no request log at \(log)") }
                print(SpendReport.table(try await SQLiteRequestStore(path: log).spend(query), query: query), terminator: "")
                return
            }
            let configuration = try loadConfiguration(config)
            guard let path = configuration.log.path else { Runtime.fail("the configuration has no request log (log.path)") }
            let rows: [SpendRow]
            if configuration.log.sink == .postgres, let settings = configuration.log.postgres {
                rows = try await Self.spend(query, postgres: settings)
            } else {
                rows = try await SQLiteRequestStore(path: path).spend(query)
            }
            print(SpendReport.table(rows, query: query), terminator: "")
        } catch let error as EdgeRouterError {
            Runtime.fail(error.message)
        } catch let error as RequestLogError {
            Runtime.fail(error.message)
        } catch {
            Runtime.fail("\(error)")
        }
    }

    /// Asks PostgreSQL, with its pool running for just this question.
    static func spend(_ query: SpendQuery, postgres settings: PostgresSettings) async throws -> [SpendRow] {
        var logger = Logger(label: "edge-router-spend")
        logger.logLevel = .error
        let store = PostgresRequestStore(settings: settings, logger: logger)
        return try await withThrowingTaskGroup(of: [SpendRow]?.self) { group in
            group.addTask {
                await store.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await store.spend(query)
        }
    }
}
