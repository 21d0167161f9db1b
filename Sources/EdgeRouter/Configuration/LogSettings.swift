import RequestLog

/// The request log (`log:` in the file): where records go and how they are batched. Off without a `path`.
public struct LogSettings: Sendable, Equatable {
    /// Where records are kept.
    public enum Sink: String, Sendable, Equatable {
        /// The SQLite file at ``LogSettings/path``, on this node.
        case sqlite
        /// One PostgreSQL database for the fleet (``LogSettings/postgres``), with ``LogSettings/path`` as the local
        /// spool for the rows PostgreSQL cannot take while it is away.
        case postgres
    }

    /// The SQLite file (the spool, with the postgres sink); nil turns the request log off (spend, budgets and
    /// `/admin/requests` then have no record).
    public var path: String?
    /// `sqlite` (the default) or `postgres`.
    public var sink: Sink
    /// The PostgreSQL database, with the postgres sink (required then).
    public var postgres: PostgresSettings?
    /// With the postgres sink, how often each key's spend today and this month is read back from PostgreSQL, so that
    /// budgets hold across the fleet.
    public var budgetRefreshInterval: Duration
    /// Records older than this many days are deleted, hourly; nil keeps everything.
    public var retentionDays: Int?
    /// Longest a record waits before its batch is committed: the most a crash of the process may lose.
    public var batchInterval: Duration
    /// A batch is committed as soon as this many records wait.
    public var batchRows: Int
    /// Most records waiting; past it they are dropped and counted (`edge_log_rows_dropped_total`).
    public var queueCapacity: Int

    public init(
        path: String? = nil, sink: Sink = .sqlite, postgres: PostgresSettings? = nil,
        budgetRefreshInterval: Duration = .seconds(5), retentionDays: Int? = nil, batchInterval: Duration = .milliseconds(100),
        batchRows: Int = 500, queueCapacity: Int = 100_000
    ) {
        self.path = path
        self.sink = sink
        self.postgres = postgres
        self.budgetRefreshInterval = budgetRefreshInterval
        self.retentionDays = retentionDays
        self.batchInterval = batchInterval
        self.batchRows = batchRows
        self.queueCapacity = queueCapacity
    }
}
