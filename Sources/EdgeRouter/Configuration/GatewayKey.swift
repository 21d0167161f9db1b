import Crypto

/// A key that clients present to use the gateway.
public struct GatewayKey: Sendable {
    /// A name for the key, used in logs and metrics (never the key itself).
    public var id: String
    /// The models (by configuration name) this key may use; nil means every model.
    public var allowedModels: Set<String>?
    /// The name of a residency rule that applies to this key's requests before the global rules.
    public var residencyRule: String?
    /// Metadata recorded with every request of the key, under what the request itself sends (`metadata:`):
    /// names and values as JSON text (`"search"`, `42`, `true`).
    public var metadata: [(name: String, json: String)]
    /// Whether, and how much of, request and answer bodies are recorded (`log_bodies:`); nil records none.
    public var bodyLogging: BodyLogging?
    /// Spend limits in US dollars (`budget:`).
    public var budget: Budget?
    /// Request and token rates (`rate_limit:`), per node.
    public var rateLimit: RateLimit?
    /// Whether its answers are buffered for resuming unless a request says otherwise (`resumable:`).
    public var resumable: Bool
    /// Whether its answers are cached, and how (`cache:`); over the model's policy. Nil leaves it to the model.
    public var cache: CachePolicy?

    public init(
        id: String, allowedModels: Set<String>? = nil, residencyRule: String? = nil,
        metadata: [(name: String, json: String)] = [], bodyLogging: BodyLogging? = nil, budget: Budget? = nil,
        rateLimit: RateLimit? = nil, resumable: Bool = false, cache: CachePolicy? = nil
    ) {
        self.cache = cache
        self.id = id
        self.allowedModels = allowedModels
        self.residencyRule = residencyRule
        self.metadata = metadata
        self.bodyLogging = bodyLogging
        self.budget = budget
        self.rateLimit = rateLimit
        self.resumable = resumable
    }

    /// How much of each body a key that opts in has recorded.
    public struct BodyLogging: Sendable, Equatable {
        public var requestBytes: Int
        public var responseBytes: Int

        public init(requestBytes: Int = 64 << 10, responseBytes: Int = 64 << 10) {
            self.requestBytes = requestBytes
            self.responseBytes = responseBytes
        }
    }

    /// US dollars a key may spend per UTC day and per UTC calendar month.
    public struct Budget: Sendable, Equatable {
        public var usdPerDay: Double?
        public var usdPerMonth: Double?

        public init(usdPerDay: Double? = nil, usdPerMonth: Double? = nil) {
            self.usdPerDay = usdPerDay
            self.usdPerMonth = usdPerMonth
        }
    }

    /// Requests and tokens a key may use per minute, as token buckets (bursts up to a minute's worth).
    public struct RateLimit: Sendable, Equatable {
        public var requestsPerMinute: Int?
        public var tokensPerMinute: Int?

        public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
        }
    }

    /// Whether the key may use the model with this configuration name.
    public func allows(model name: String) -> Bool {
        allowedModels?.contains(name) ?? true
    }
}

/// Looks gateway keys up by the SHA-256 of what the client presented, so only hashes stay in memory.
public struct KeyRing: Sendable {
    private var byHash: [String: GatewayKey]

    public init() { byHash = [:] }

    /// Adds a key stored as the lowercase hex SHA-256 of its secret.
    public mutating func add(_ key: GatewayKey, sha256Hex: String) {
        byHash[sha256Hex.lowercased()] = key
    }

    /// Adds a key from its secret (already resolved from the environment); only its hash is kept.
    public mutating func add(_ key: GatewayKey, secret: String) {
        byHash[Self.sha256Hex(secret)] = key
    }

    /// The key whose secret the client presented, or nil.
    public func key(forSecret secret: some StringProtocol) -> GatewayKey? {
        byHash[Self.sha256Hex(secret)]
    }

    /// Whether any key is configured.
    public var isEmpty: Bool { byHash.isEmpty }

    /// How many keys are configured.
    public var count: Int { byHash.count }

    /// Every configured key.
    public var keys: [GatewayKey] { Array(byHash.values) }

    /// The SHA-256 of every configured secret: two rings with the same set let in the same secrets.
    var secretHashes: Set<String> { Set(byHash.keys) }

    /// The lowercase hex SHA-256 of a string's UTF-8 bytes.
    public static func sha256Hex(_ secret: some StringProtocol) -> String {
        let digest = SHA256.hash(data: Array(secret.utf8))
        let hexDigits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
