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
    let limits = KeyLimits()
    private let spend: SpendMetrics
    private let logger: Logger

    init(configuration: RouterConfiguration, registry: PrometheusCollectorRegistry, logger: Logger) throws(EdgeRouterError) {
        spend = SpendMetrics(configuration: configuration, registry: registry)
        self.logger = logger
        guard let path = configuration.log.path else {
            writer = nil
            return
        }
        let store: SQLiteRequestStore
        do {
            store = try SQLiteRequestStore(path: path)
        } catch {
            throw EdgeRouterError(.invalidConfiguration, "log.path: \(error.message)")
        }
        let settings = configuration.log
        writer = RequestLogWriter(
            store: store,
            settings: .init(
                batchInterval: settings.batchInterval, batchRows: settings.batchRows, queueCapacity: settings.queueCapacity,
                retentionDays: settings.retentionDays),
            observer: RequestLogMetrics(registry: registry), logger: logger)
    }

    /// The request log's store, for the spend and request queries; nil without a log.
    var store: (any RequestStore)? { writer?.store }

    /// Reads today's and this month's spend per key from the log, so that budgets hold across restarts.
    func loadSpend(keys: [GatewayKey]) async {
        guard let store, keys.contains(where: { $0.budget != nil }) else { return }
        let now = UnixTime.nowMs()
        do {
            let today = try await store.costByKey(sinceMs: now - now % 86_400_000)
            let month = try await store.costByKey(sinceMs: UTCMonth.containing(now).lowerBound)
            limits.seed(today: today, thisMonth: month, keys: keys, wallMs: now)
        } catch {
            logger.error("request log: cannot read spend for budgets; they count from zero", metadata: ["error": "\(error)"])
        }
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
