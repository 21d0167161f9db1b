/// The request log (`log:` in the file): where records go and how they are batched. Off without a `path`.
public struct LogSettings: Sendable, Equatable {
    /// The SQLite file; nil turns the request log off (spend, budgets and `/admin/requests` then have no record).
    public var path: String?
    /// Records older than this many days are deleted, hourly; nil keeps everything.
    public var retentionDays: Int?
    /// Longest a record waits before its batch is committed: the most a crash of the process may lose.
    public var batchInterval: Duration
    /// A batch is committed as soon as this many records wait.
    public var batchRows: Int
    /// Most records waiting; past it they are dropped and counted (`edge_log_rows_dropped_total`).
    public var queueCapacity: Int

    public init(
        path: String? = nil, retentionDays: Int? = nil, batchInterval: Duration = .milliseconds(100), batchRows: Int = 500,
        queueCapacity: Int = 100_000
    ) {
        self.path = path
        self.retentionDays = retentionDays
        self.batchInterval = batchInterval
        self.batchRows = batchRows
        self.queueCapacity = queueCapacity
    }
}
