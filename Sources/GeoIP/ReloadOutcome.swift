/// What one reload check did with one configured database file.
public enum DatabaseReloadOutcome: Sendable, Hashable {
    /// No file is configured for this role.
    case notConfigured
    /// The file on disk is the one already loaded (same device, inode, size and times).
    case unchanged
    /// A new file was opened and swapped in; lookups from now on use it. Carries its metadata.
    case reloaded(DatabaseMetadata)
    /// The file changed (or vanished) but could not be used; the database loaded before,
    /// if any, stays in service. A warning was logged the first time this failure was seen.
    case failed(GeoIPError)

    /// Whether a new database was swapped in.
    public var didReload: Bool {
        if case .reloaded = self { return true }
        return false
    }

    /// The error, when the check failed.
    public var error: GeoIPError? {
        if case .failed(let error) = self { return error }
        return nil
    }
}

/// What ``GeoIPResolver/reloadIfChanged()`` did, for each of the two databases.
public struct ReloadOutcome: Sendable, Hashable {
    /// The outcome for the location (City or Country) database.
    public var location: DatabaseReloadOutcome
    /// The outcome for the ASN database.
    public var asn: DatabaseReloadOutcome

    /// Creates an outcome.
    public init(location: DatabaseReloadOutcome, asn: DatabaseReloadOutcome) {
        self.location = location
        self.asn = asn
    }

    /// Whether either database was swapped in.
    public var didReload: Bool { location.didReload || asn.didReload }

    /// The errors of the databases that failed, location first.
    public var failures: [GeoIPError] { [location.error, asn.error].compactMap { $0 } }
}
