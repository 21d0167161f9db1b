import ArgumentParser
import EdgeRouter
import RequestLog

/// `edge-router spend`: spend from the request log as a table, grouped as `/admin/spend` groups it. Reads the
/// configuration's `log.path` (a running router's file can be read at the same time: SQLite's WAL lets readers in).
struct SpendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spend", abstract: "Print spend from the request log, grouped by dimensions and metadata.")

    @Option(name: .long, help: "Configuration file (default: $EDGE_ROUTER_CONFIG, else edge-router.yaml).")
    var config: String?

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
        let configuration = try loadConfiguration(config)
        guard let path = configuration.log.path else { Runtime.fail("the configuration has no request log (log.path)") }
        do {
            let query = try SpendReport.spendQuery(groupBy: groupBy, from: since, to: until, key: key)
            let store = try SQLiteRequestStore(path: path)
            print(SpendReport.table(try await store.spend(query), query: query), terminator: "")
        } catch let error as EdgeRouterError {
            Runtime.fail(error.message)
        } catch {
            Runtime.fail("\(error)")
        }
    }
}
