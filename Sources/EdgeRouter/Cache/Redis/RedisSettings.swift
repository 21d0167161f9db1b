/// The shared second tier of the response cache (`cache.redis:`): a Redis the nodes of a fleet share, behind each
/// node's memory tier.
public struct RedisSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// `AUTH` with this password (and `username`, for Redis 6 ACLs) on every new connection.
    public var username: String?
    public var password: String?
    /// `SELECT` this database on every new connection.
    public var database: Int?
    /// Connections kept (`pool_size`, default 4).
    public var poolSize: Int
    /// The bound on connecting and on each command (`timeout_ms`, default 250 ms): past it the lookup is a miss.
    public var timeout: Duration
    /// Prefix of every key (`key_prefix`, default `edge-cache:`).
    public var keyPrefix: String

    public init(
        host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil,
        database: Int? = nil, poolSize: Int = 4, timeout: Duration = .milliseconds(250), keyPrefix: String = "edge-cache:"
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.poolSize = poolSize
        self.timeout = timeout
        self.keyPrefix = keyPrefix
    }
}
