/// Where the PostgreSQL sink connects, and how (`log.postgres` in the router's file).
///
/// The password is never part of a description, a log line or an error: ``description`` leaves it out.
public struct PostgresSettings: Sendable, Equatable, CustomStringConvertible {
    /// Whether the connection is encrypted.
    public enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP: for a database on the same host or a private network.
        case disable
        /// TLS with the server's certificate checked against the system's trust roots.
        case require
    }

    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    /// Usually `${ENV}` in the file, so that it never sits there.
    public var password: String?
    public var tls: TLSMode
    /// Most connections a node opens (the writer, the spool's drainer, budget refreshes and admin reads share them).
    public var poolSize: Int
    /// Longest one statement (or the connection it waits for) may take before the store gives up on it: a batch
    /// that takes longer is spooled, so that a database that hangs cannot stall the writer.
    public var statementTimeout: Duration
    /// Longest a TCP connect and the start-up handshake may take.
    public var connectTimeout: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 5432, database: String = "edge_router", user: String = "edge_router",
        password: String? = nil, tls: TLSMode = .disable, poolSize: Int = 4, statementTimeout: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(3)
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.tls = tls
        self.poolSize = max(1, poolSize)
        self.statementTimeout = statementTimeout
        self.connectTimeout = connectTimeout
    }

    /// `user@host:port/database`, without the password.
    public var description: String { "\(user)@\(host):\(port)/\(database)" }
}
