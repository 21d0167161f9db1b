import CMaxMindDB

/// What a MaxMind DB file says about itself (its metadata section), copied out at open.
public struct DatabaseMetadata: Sendable, Hashable {
    /// The database type, such as `GeoIP2-City`, `GeoLite2-Country` or `GeoLite2-ASN`.
    public let databaseType: String
    /// When the database was built, in seconds since 1970-01-01 UTC.
    public let buildEpoch: UInt64
    /// 4 for an IPv4-only database (IPv6 lookups find nothing), 6 for IPv6 (which also holds IPv4).
    public let ipVersion: Int
    /// The number of nodes in the search tree.
    public let nodeCount: Int
    /// The size of a search-tree record in bits (24, 28 or 32).
    public let recordSize: Int
    /// The major version of the binary format (2 for every current database).
    public let binaryFormatMajorVersion: Int
    /// The minor version of the binary format.
    public let binaryFormatMinorVersion: Int
    /// The languages the database has names for (`en`, `de`, …).
    public let languages: [String]
    /// Human-readable descriptions, keyed by language.
    public let descriptions: [String: String]

    /// The kind of data the database holds, judged from ``databaseType``.
    public var kind: DatabaseKind { DatabaseKind(databaseType: databaseType) }

    /// Creates metadata by hand (for tests and for callers that describe a database they built).
    public init(
        databaseType: String,
        buildEpoch: UInt64,
        ipVersion: Int,
        nodeCount: Int = 0,
        recordSize: Int = 0,
        binaryFormatMajorVersion: Int = 2,
        binaryFormatMinorVersion: Int = 0,
        languages: [String] = [],
        descriptions: [String: String] = [:]
    ) {
        self.databaseType = databaseType
        self.buildEpoch = buildEpoch
        self.ipVersion = ipVersion
        self.nodeCount = nodeCount
        self.recordSize = recordSize
        self.binaryFormatMajorVersion = binaryFormatMajorVersion
        self.binaryFormatMinorVersion = binaryFormatMinorVersion
        self.languages = languages
        self.descriptions = descriptions
    }

    /// Copies the C library's metadata; its strings live in the mapping, which may go away later.
    init(_ raw: MMDB_metadata_s) {
        databaseType = raw.database_type.map { String(cString: $0) } ?? ""
        buildEpoch = raw.build_epoch
        ipVersion = Int(raw.ip_version)
        nodeCount = Int(raw.node_count)
        recordSize = Int(raw.record_size)
        binaryFormatMajorVersion = Int(raw.binary_format_major_version)
        binaryFormatMinorVersion = Int(raw.binary_format_minor_version)
        var languages: [String] = []
        if let names = raw.languages.names {
            for index in 0..<raw.languages.count {
                if let name = names[index] { languages.append(String(cString: name)) }
            }
        }
        self.languages = languages
        var descriptions: [String: String] = [:]
        if let entries = raw.description.descriptions {
            for index in 0..<raw.description.count {
                guard let entry = entries[index], let language = entry.pointee.language,
                    let text = entry.pointee.description
                else { continue }
                descriptions[String(cString: language)] = String(cString: text)
            }
        }
        self.descriptions = descriptions
    }
}

/// The kind of data a MaxMind DB holds, as far as this module cares.
public enum DatabaseKind: Sendable, Hashable {
    /// City-level location (GeoIP2/GeoLite2 City, GeoIP2 Enterprise, DB-IP City).
    case city
    /// Country-level location (GeoIP2/GeoLite2 Country, DB-IP Country).
    case country
    /// Autonomous systems (GeoLite2 ASN, GeoIP2 ISP, DB-IP ASN).
    case asn
    /// Anything else (test databases, anonymous-IP, connection type, …).
    case other

    /// Judges the kind from a database type string such as `GeoLite2-City`.
    public init(databaseType: String) {
        // Checked in this order because the names overlap: "GeoIP2-City" must not be taken
        // for a country database, and an ISP database is an ASN database for our purposes.
        if databaseType.contains("ASN") || databaseType.contains("ISP") {
            self = .asn
        } else if databaseType.contains("City") || databaseType.contains("Enterprise") {
            self = .city
        } else if databaseType.contains("Country") {
            self = .country
        } else {
            self = .other
        }
    }
}
