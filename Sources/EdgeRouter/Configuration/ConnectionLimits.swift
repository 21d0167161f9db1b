/// How long a client connection may take to send a request, how many connections one client address may hold,
/// how many file descriptors stay free for upstream connections, and how many connections may wait to be accepted
/// (`server.timeouts`, `server.max_connections_per_client`, `server.descriptor_reserve`, `server.listen_backlog` in
/// the file).
public struct ConnectionLimits: Sendable, Equatable {
    /// A request head must be complete this long after its first byte.
    public var headerRead: Duration
    /// A request body must be complete this long after its head.
    public var bodyRead: Duration
    /// A connection with no request in progress and no answer being written is closed after this long.
    public var idle: Duration
    /// How long a client may leave its connection unwritable (not reading its stream) before it is cut: the
    /// upstream stream is paused meanwhile, and the provider is not blamed.
    public var clientStall: Duration
    /// Most open connections from one client address; 0 means no limit.
    public var maxPerClient: Int
    /// File descriptors kept free for upstream connections and files: client connections are refused beyond the
    /// process's open-files limit minus this.
    public var descriptorReserve: Int
    /// Connections the kernel may hold for the listening socket before they are accepted (capped by the system's
    /// `net.core.somaxconn`). Hummingbird's default of 256 made a burst of a thousand clients connecting at once
    /// wait for SYN retransmits (1 s, then 3 s) or fail; nginx's benchmark configuration uses 4,096.
    public var listenBacklog: Int

    public init(
        headerRead: Duration = .seconds(10),
        bodyRead: Duration = .seconds(30),
        idle: Duration = .seconds(60),
        clientStall: Duration = .seconds(30),
        maxPerClient: Int = 256,
        descriptorReserve: Int = 128,
        listenBacklog: Int = 4096
    ) {
        self.headerRead = headerRead
        self.bodyRead = bodyRead
        self.idle = idle
        self.clientStall = clientStall
        self.maxPerClient = maxPerClient
        self.descriptorReserve = descriptorReserve
        self.listenBacklog = listenBacklog
    }
}
