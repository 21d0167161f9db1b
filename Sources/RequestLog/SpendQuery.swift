/// A question about spend: totals grouped by some dimensions, over a time range, optionally for one key.
public struct SpendQuery: Sendable, Equatable {
    /// What rows can be grouped by.
    public enum Dimension: Sendable, Hashable {
        case model, provider, upstreamModel, key, dialect, status, region, country, day
        /// A metadata field, by name (`metadata.team`).
        case metadata(String)

        /// Reads a dimension as written in `group_by` (`model`, `metadata.team`...).
        public init(parsing text: some StringProtocol) throws(RequestLogError) {
            switch text {
            case "model": self = .model
            case "provider": self = .provider
            case "upstream_model": self = .upstreamModel
            case "key": self = .key
            case "dialect": self = .dialect
            case "status": self = .status
            case "region": self = .region
            case "country": self = .country
            case "day": self = .day
            default:
                guard text.hasPrefix("metadata.") else {
                    throw RequestLogError(
                        .invalidQuery,
                        "unknown group_by '\(text.prefix(64))' (known: model, provider, upstream_model, key, dialect, status, "
                            + "region, country, day, metadata.<name>)")
                }
                self = .metadata(try MetadataName.checked(text.dropFirst("metadata.".count)))
            }
        }

        /// The name as written in `group_by`, and as a column of the answer.
        public var name: String {
            switch self {
            case .model: "model"
            case .provider: "provider"
            case .upstreamModel: "upstream_model"
            case .key: "key"
            case .dialect: "dialect"
            case .status: "status"
            case .region: "region"
            case .country: "country"
            case .day: "day"
            case .metadata(let field): "metadata.\(field)"
            }
        }
    }

    public var groupBy: [Dimension]
    /// Requests received at or after this time (Unix milliseconds).
    public var fromMs: Int64?
    /// Requests received before this time (Unix milliseconds).
    public var toMs: Int64?
    /// Only this gateway key's requests.
    public var keyID: String?

    public init(groupBy: [Dimension] = [], fromMs: Int64? = nil, toMs: Int64? = nil, keyID: String? = nil) {
        self.groupBy = groupBy
        self.fromMs = fromMs
        self.toMs = toMs
        self.keyID = keyID
    }

    /// Reads `group_by`'s comma-separated list; at most 5 dimensions, none twice.
    public static func dimensions(_ list: some StringProtocol) throws(RequestLogError) -> [Dimension] {
        var dimensions: [Dimension] = []
        for part in list.split(separator: ",") {
            let dimension = try Dimension(parsing: part.trimmingWhitespace)
            guard !dimensions.contains(dimension) else {
                throw RequestLogError(.invalidQuery, "group_by names '\(dimension.name)' twice")
            }
            dimensions.append(dimension)
        }
        guard dimensions.count <= 5 else { throw RequestLogError(.invalidQuery, "group_by takes at most 5 dimensions") }
        return dimensions
    }
}

/// One group's totals.
public struct SpendRow: Sendable, Equatable {
    /// The group's value for each of the query's dimensions, in order (nil where the rows have none).
    public var group: [String?]
    public var requests: Int
    /// Requests that ended in an error (before or after their head).
    public var errors: Int
    public var tokens: RequestRecord.Tokens
    public var costUSD: Double
    /// Requests answered from the response cache, and what their answers cost when they were fetched.
    public var cacheHits: Int
    public var savedUSD: Double

    public init(
        group: [String?], requests: Int, errors: Int, tokens: RequestRecord.Tokens, costUSD: Double, cacheHits: Int = 0,
        savedUSD: Double = 0
    ) {
        self.cacheHits = cacheHits
        self.savedUSD = savedUSD
        self.group = group
        self.requests = requests
        self.errors = errors
        self.tokens = tokens
        self.costUSD = costUSD
    }
}

/// A question about individual requests: filters, newest first, a bounded number of rows.
public struct RequestQuery: Sendable, Equatable {
    /// Which outcomes to list.
    public enum Outcome: String, Sendable {
        /// Answered in full.
        case ok
        /// Failed, before or after the answer's head.
        case error
    }

    public var keyID: String?
    public var model: String?
    public var provider: String?
    public var outcome: Outcome?
    /// Metadata fields that must have these values (compared as text: `true`, `42`, `search`).
    public var metadata: [(name: String, value: String)]
    public var fromMs: Int64?
    public var toMs: Int64?
    /// At most this many rows (1...1000).
    public var limit: Int

    public init(
        keyID: String? = nil, model: String? = nil, provider: String? = nil, outcome: Outcome? = nil,
        metadata: [(name: String, value: String)] = [], fromMs: Int64? = nil, toMs: Int64? = nil, limit: Int = 100
    ) {
        self.keyID = keyID
        self.model = model
        self.provider = provider
        self.outcome = outcome
        self.metadata = metadata
        self.fromMs = fromMs
        self.toMs = toMs
        self.limit = min(max(limit, 1), 1000)
    }

    public static func == (lhs: RequestQuery, rhs: RequestQuery) -> Bool {
        lhs.keyID == rhs.keyID && lhs.model == rhs.model && lhs.provider == rhs.provider && lhs.outcome == rhs.outcome
            && lhs.metadata.map(\.name) == rhs.metadata.map(\.name) && lhs.metadata.map(\.value) == rhs.metadata.map(\.value)
            && lhs.fromMs == rhs.fromMs && lhs.toMs == rhs.toMs && lhs.limit == rhs.limit
    }
}

/// Metadata field names: what a query may name and a client may send.
public enum MetadataName {
    /// Field names are 1 to 64 letters, digits, `_` or `-`: enough for `team`, `userId` or `customer-id`, and safe
    /// to put in a JSON path.
    public static func checked(_ name: some StringProtocol) throws(RequestLogError) -> String {
        guard isValid(name) else {
            throw RequestLogError(
                .invalidQuery, "metadata field '\(name.prefix(64))' must be 1 to 64 letters, digits, '_' or '-'")
        }
        return String(name)
    }

    public static func isValid(_ name: some StringProtocol) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F || byte == 0x2D
            }
    }
}

extension StringProtocol {
    var trimmingWhitespace: SubSequence {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        guard let last = lastIndex(where: { !$0.isWhitespace }), start < endIndex else { return self[start..<start] }
        return self[start...last]
    }
}
