import Logging
import Synchronization

/// Answers "where is this address?" from a location database (City or Country) and an
/// optional ASN database, and keeps both current as geoipupdate replaces their files.
///
/// - Lookups (``locate(_:)``) never block on a reload: each takes a reference to the current
///   database under a short lock and searches outside it.
/// - ``reloadIfChanged()`` compares each file's device, inode, size and times with the loaded
///   database and swaps a changed file in atomically. A database being replaced closes when
///   the last lookup using it returns.
/// - A replacement that fails to open (or is the wrong kind of database) keeps the old one
///   in service; the outcome says so and a warning is logged once per broken file.
/// - With no database configured, geolocation is off: ``isEnabled`` is false and
///   ``locate(_:)`` returns nil. The resolver logs that once, when it is created.
///
/// Run ``GeoIPReloadService`` in the application's service group to poll for new files.
public final class GeoIPResolver: Sendable {
    /// Which database a file serves.
    public enum DatabaseRole: Sendable, Hashable, CustomStringConvertible {
        /// City or Country: country, continent, subdivision, city, coordinates.
        case location
        /// Autonomous system number and organisation.
        case asn

        /// `location` or `asn`.
        public var description: String {
            switch self {
            case .location: "location"
            case .asn: "asn"
            }
        }
    }

    /// Which files to serve.
    public struct Configuration: Sendable, Hashable {
        /// Path of the City or Country database; nil for none.
        public var locationDatabasePath: String?
        /// Path of the ASN database; nil for none.
        public var asnDatabasePath: String?
        /// When true (the default), a configured file that cannot be opened at startup is an
        /// error from `init`. When false, the resolver starts without it, logs a warning, and
        /// picks the file up on the first successful reload (useful when geoipupdate runs
        /// alongside the router and may not have written the file yet).
        public var requireDatabasesAtStartup: Bool

        /// Creates a configuration; with both paths nil, geolocation is off.
        public init(
            locationDatabasePath: String? = nil, asnDatabasePath: String? = nil, requireDatabasesAtStartup: Bool = true
        ) {
            self.locationDatabasePath = locationDatabasePath
            self.asnDatabasePath = asnDatabasePath
            self.requireDatabasesAtStartup = requireDatabasesAtStartup
        }
    }

    /// The configuration the resolver was made with.
    public let configuration: Configuration
    private let locationSlot: DatabaseSlot?
    private let asnSlot: DatabaseSlot?
    /// Serialises reloads, so that two overlapping checks cannot swap in an older file after a newer one.
    private let reloadLock = Mutex<Void>(())
    private let failedLookupCount = Atomic<Int>(0)
    private let logger: Logger

    /// Opens the configured databases.
    /// - Throws: the ``GeoIPError`` of the first configured file that cannot be opened (or is
    ///   the wrong kind of database), unless ``Configuration/requireDatabasesAtStartup`` is false.
    public convenience init(configuration: Configuration, logger: Logger) throws(GeoIPError) {
        let locationSlot = try GeoIPResolver.makeSlot(
            .location, configuration.locationDatabasePath, configuration, logger)
        let asnSlot = try GeoIPResolver.makeSlot(.asn, configuration.asnDatabasePath, configuration, logger)
        self.init(configuration: configuration, logger: logger, locationSlot: locationSlot, asnSlot: asnSlot)
    }

    /// A resolver with geolocation off: ``locate(_:)`` always returns nil.
    public static func disabled(logger: Logger) -> GeoIPResolver {
        GeoIPResolver(configuration: Configuration(), logger: logger, locationSlot: nil, asnSlot: nil)
    }

    private init(configuration: Configuration, logger: Logger, locationSlot: DatabaseSlot?, asnSlot: DatabaseSlot?) {
        self.configuration = configuration
        self.logger = logger
        self.locationSlot = locationSlot
        self.asnSlot = asnSlot
        if locationSlot == nil, asnSlot == nil {
            // The one log line about it: callers can check `isEnabled` instead of logging per request.
            logger.notice("geolocation is off: no GeoIP database is configured")
        }
    }

    private static func makeSlot(
        _ role: DatabaseRole, _ path: String?, _ configuration: Configuration, _ logger: Logger
    ) throws(GeoIPError) -> DatabaseSlot? {
        guard let path else { return nil }
        do {
            let database = try DatabaseSlot.open(path: path, role: role)
            logger.info(
                "GeoIP database loaded",
                metadata: [
                    "geoip.role": "\(role)",
                    "geoip.path": "\(path)",
                    "geoip.type": "\(database.metadata.databaseType)",
                    "geoip.build_epoch": "\(database.metadata.buildEpoch)",
                ])
            return DatabaseSlot(role: role, path: path, database: database)
        } catch {
            guard !configuration.requireDatabasesAtStartup else { throw error }
            logger.warning(
                "GeoIP database not available at startup; continuing without it until it appears",
                metadata: ["geoip.role": "\(role)", "geoip.path": "\(path)", "geoip.error": "\(error.message)"])
            let slot = DatabaseSlot(role: role, path: path, database: nil)
            slot.recordStartupFailure(error)
            return slot
        }
    }

    /// Whether any database is configured. When false, geolocation is off for good.
    public var isEnabled: Bool { locationSlot != nil || asnSlot != nil }

    /// The location database serving lookups now, if any (a strong reference: it stays open while held).
    public var locationDatabase: GeoIPDatabase? { locationSlot?.database }

    /// The ASN database serving lookups now, if any.
    public var asnDatabase: GeoIPDatabase? { asnSlot?.database }

    /// How many lookups have failed on damaged data since the resolver was made. Each damaged
    /// database is also logged once, at its first failure.
    public var failedLookups: Int { failedLookupCount.load(ordering: .relaxed) }

    /// Where `ip` is, merging the location database's answer with the ASN database's.
    ///
    /// Returns nil when geolocation is off or neither database knows the address. A lookup
    /// that runs into damaged data counts as "unknown" for that database (see ``failedLookups``).
    public func locate(_ ip: IPAddress) -> GeoLocation? {
        var result: GeoLocation?
        if let database = locationSlot?.database {
            result = lookup(ip, in: database)
        }
        if let database = asnSlot?.database, let system = lookup(ip, in: database),
            system.asn != nil || system.asOrganization != nil
        {
            result = (result ?? GeoLocation()).mergingAutonomousSystem(from: system)
        }
        return result
    }

    private func lookup(_ ip: IPAddress, in database: GeoIPDatabase) -> GeoLocation? {
        do {
            return try database.lookup(ip)
        } catch {
            failedLookupCount.add(1, ordering: .relaxed)
            // One log line per damaged database, not one per request.
            if !database.lookupFailureReported.exchange(true, ordering: .relaxed) {
                logger.error(
                    "GeoIP lookup failed on damaged data; further failures of this database are only counted",
                    metadata: ["geoip.path": "\(database.path)", "geoip.error": "\(error.message)"])
            }
            return nil
        }
    }

    /// Checks each configured file against the loaded database and swaps in the ones that
    /// changed. Deterministic: one call, one check of each file, done when it returns.
    ///
    /// This does blocking file I/O (`stat`, and `open`/`mmap` of a changed file), which takes
    /// well under a millisecond for a memory-mapped database.
    @discardableResult
    public func reloadIfChanged() -> ReloadOutcome {
        reloadLock.withLock { _ in
            ReloadOutcome(
                location: locationSlot?.reloadIfChanged(logger: logger) ?? .notConfigured,
                asn: asnSlot?.reloadIfChanged(logger: logger) ?? .notConfigured)
        }
    }
}
