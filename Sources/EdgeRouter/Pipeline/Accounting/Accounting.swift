import HTTPTypes
import Logging
import Prometheus
import RequestLog
import RoutingCore

/// Where requests are accounted for: each key's limits at admission, and after each request its record (to the
/// request log, when one is configured), its spend and tokens (to the metrics and the key's budget).
final class Accounting: Sendable {
    /// The request log's writer; nil when `log.path` is not set.
    let writer: RequestLogWriter?
    /// With `log.sink: postgres`: PostgreSQL with the local spool, whose pool and drainer ``runLog(keys:)`` runs.
    private let fleetStore: SpoolingRequestStore?
    let limits = KeyLimits()
    private let budgetRefreshInterval: Duration
    private let spend: SpendMetrics
    private let logger: Logger

    init(configuration: RouterConfiguration, registry: PrometheusCollectorRegistry, logger: Logger) throws(EdgeRouterError) {
        spend = SpendMetrics(configuration: configuration, registry: registry)
        self.logger = logger
        let settings = configuration.log
        budgetRefreshInterval = settings.budgetRefreshInterval
        guard let path = settings.path else {
            writer = nil
            fleetStore = nil
            return
        }
        let observer = RequestLogMetrics(registry: registry)
        let store: any RequestStore
        switch settings.sink {
        case .sqlite:
            store = try Self.openSQLite(path, field: "log.path")
            fleetStore = nil
        case .postgres:
            guard let postgres = settings.postgres else {
                throw EdgeRouterError(.invalidConfiguration, "log.postgres: missing (log.sink is postgres)")
            }
            let spooling = SpoolingRequestStore(
                primary: PostgresRequestStore(settings: postgres, logger: logger),
                spool: try Self.openSQLite(path, field: "log.path (the PostgreSQL sink's spool)"),
                drainBatchRows: settings.batchRows, observer: observer, logger: logger)
            store = spooling
            fleetStore = spooling
        }
        writer = RequestLogWriter(
            store: store,
            settings: .init(
                batchInterval: settings.batchInterval, batchRows: settings.batchRows, queueCapacity: settings.queueCapacity,
                retentionDays: settings.retentionDays),
            observer: observer, logger: logger)
    }

    private static func openSQLite(_ path: String, field: String) throws(EdgeRouterError) -> SQLiteRequestStore {
        do {
            return try SQLiteRequestStore(path: path)
        } catch {
            throw EdgeRouterError(.invalidConfiguration, "\(field): \(error.message)")
        }
    }

    /// The request log's store, for the spend and request queries; nil without a log.
    var store: (any RequestStore)? { writer?.store }

    /// Runs the request log until ``finishLog()`` has drained the writer: the writer and, with the PostgreSQL
    /// sink, the connection pool, the spool's drainer and the refresh of budgets from the fleet's spend.
    func runLog(keys: @escaping @Sendable () -> [GatewayKey]) async throws {
        guard let writer else { return }
        guard let fleetStore else {
            try await writer.run()
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await fleetStore.run() }
            group.addTask { await self.refreshBudgets(keys: keys) }
            // The pool outlives the writer: the writer's last batches still go to PostgreSQL (or the spool).
            try await writer.run()
            group.cancelAll()
        }
    }

    /// Stops taking records: ``runLog(keys:)`` commits what is queued and returns.
    func finishLog() {
        writer?.finish()
    }

    /// Reads today's and this month's spend per key from the log, so that budgets hold across restarts (and, with
    /// the PostgreSQL sink, across the fleet). With PostgreSQL, call it once ``runLog(keys:)`` runs.
    func loadSpend(keys: [GatewayKey]) async {
        guard let store, keys.contains(where: { $0.budget != nil }) else { return }
        limits.beginRefresh()
        let now = UnixTime.nowMs()
        do {
            let today = try await store.costByKey(sinceMs: now - now % 86_400_000)
            let month = try await store.costByKey(sinceMs: UTCMonth.containing(now).lowerBound)
            if fleetStore != nil {
                limits.refresh(today: today, thisMonth: month, keys: keys, readAtMs: now, wallMs: UnixTime.nowMs())
            } else {
                limits.seed(today: today, thisMonth: month, keys: keys, wallMs: now)
            }
        } catch {
            logger.error("request log: cannot read spend for budgets; they count what this node has seen", metadata: ["error": "\(error.message)"])
        }
    }

    /// Every `log.budget_refresh_ms`, budgets take in the fleet's spend from PostgreSQL, until cancelled; `keys`
    /// gives the keys served at each refresh (a reload may add budgets).
    private func refreshBudgets(keys: @escaping @Sendable () -> [GatewayKey]) async {
        while true {
            do {
                try await Task.sleep(for: budgetRefreshInterval)
            } catch {
                return
            }
            await loadSpend(keys: keys())
        }
    }

    /// Metric series for a reloaded configuration's deployments (see ``RouterMetrics/follow(_:dropping:)``).
    func follow(_ models: [Model], dropping: Bool) {
        spend.follow(models, dropping: dropping)
    }

    /// Checks `key`'s budget and rates; the headers tell the client where it stands.
    func admit(_ key: GatewayKey) throws(EdgeRouterError) -> HTTPFields {
        try limits.admit(key, wallMs: UnixTime.nowMs())
    }

    /// Accounts for a finished request.
    func account(_ record: RequestRecord, key: GatewayKey?, deployment: Deployment?) {
        if let deployment { spend.record(deployment: deployment, tokens: record.tokens, costUSD: record.costUSD) }
        if let key {
            let tokens = record.tokens.input.addingReportingOverflow(record.tokens.output)
            limits.charge(key, costUSD: record.costUSD, tokens: tokens.overflow ? .max : tokens.partialValue, wallMs: UnixTime.nowMs())
        }
        writer?.record(record)
    }
}
