import Logging
import Synchronization

/// One configured database file (location or ASN) and the database currently serving it.
///
/// Readers take a strong reference to the current database under a short lock and look up
/// outside it; a reload swaps the reference. The old database is closed by its `deinit` when
/// the last reference (the slot's, or that of a lookup still running) goes away, so a swap
/// never harms a lookup in flight.
final class DatabaseSlot: Sendable {
    /// A replacement that could not be used, remembered so that the same broken file is
    /// neither reopened nor reported again on every poll.
    private struct Failure: Sendable {
        let fingerprint: FileFingerprint?
        let error: GeoIPError
    }

    let role: GeoIPResolver.DatabaseRole
    let path: String
    private let current: Mutex<GeoIPDatabase?>
    // Written only by reloads, which the resolver serialises; a Mutex keeps that honest
    // without relying on the caller.
    private let lastFailure = Mutex<Failure?>(nil)

    init(role: GeoIPResolver.DatabaseRole, path: String, database: GeoIPDatabase?) {
        self.role = role
        self.path = path
        self.current = Mutex(database)
    }

    /// The database serving lookups now (a strong reference: it stays open while held).
    var database: GeoIPDatabase? {
        current.withLock { $0 }
    }

    /// Opens the database at `path` and checks that it can serve `role`.
    static func open(path: String, role: GeoIPResolver.DatabaseRole) throws(GeoIPError) -> GeoIPDatabase {
        let database = try GeoIPDatabase(path: path)
        let kind = database.metadata.kind
        // Only clear mismatches are refused: a database of unknown type ("Test", a third-party
        // schema) is given the benefit of the doubt.
        let refused: Bool =
            switch role {
            case .location: kind == .asn
            case .asn: kind == .city || kind == .country
            }
        if refused {
            throw GeoIPError(
                code: .unsupportedDatabase,
                message: "GeoIP database '\(path)' is a \(database.metadata.databaseType) database, "
                    + "which cannot serve as the \(role) database",
                path: path)
        }
        return database
    }

    /// Records a failure at startup (when the resolver was told to start without the file),
    /// so the first poll does not report it a second time.
    func recordStartupFailure(_ error: GeoIPError) {
        let fingerprint = try? FileFingerprint.of(path: path).get()
        lastFailure.withLock { $0 = Failure(fingerprint: fingerprint, error: error) }
    }

    /// Compares the file on disk with the loaded database and swaps in a changed file.
    /// Callers serialise calls (the resolver's reload lock).
    func reloadIfChanged(logger: Logger) -> DatabaseReloadOutcome {
        let fingerprint: FileFingerprint
        switch FileFingerprint.of(path: path) {
        case .failure(let failure):
            return fail(failure.geoIPError(path: path), fingerprint: nil, logger: logger)
        case .success(let value):
            fingerprint = value
        }

        if let loaded = database, loaded.fingerprint == fingerprint {
            // Also the way back from a failure: the broken file was replaced by the good one.
            lastFailure.withLock { $0 = nil }
            return .unchanged
        }
        if let failure = lastFailure.withLock({ $0 }), failure.fingerprint == fingerprint {
            return .failed(failure.error)
        }

        let replacement: GeoIPDatabase
        do {
            replacement = try DatabaseSlot.open(path: path, role: role)
        } catch {
            return fail(error, fingerprint: fingerprint, logger: logger)
        }
        let previous = current.withLock { database in
            let previous = database
            database = replacement
            return previous
        }
        lastFailure.withLock { $0 = nil }
        logger.info(
            "GeoIP database reloaded",
            metadata: [
                "geoip.role": "\(role)",
                "geoip.path": "\(path)",
                "geoip.type": "\(replacement.metadata.databaseType)",
                "geoip.build_epoch": "\(replacement.metadata.buildEpoch)",
                "geoip.previous_build_epoch": "\(previous.map { "\($0.metadata.buildEpoch)" } ?? "none")",
            ])
        // `previous` is released here, outside the lock; if lookups still hold it, the last
        // of them closes it.
        return .reloaded(replacement.metadata)
    }

    private func fail(_ error: GeoIPError, fingerprint: FileFingerprint?, logger: Logger) -> DatabaseReloadOutcome {
        let isNew = lastFailure.withLock { failure in
            if let failure, failure.fingerprint == fingerprint, failure.error == error { return false }
            failure = Failure(fingerprint: fingerprint, error: error)
            return true
        }
        if isNew {
            let serving = database
            let consequence = serving == nil ? "no database is loaded for this role" : "keeping the loaded database"
            logger.warning(
                "GeoIP database replacement rejected; \(consequence)",
                metadata: [
                    "geoip.role": "\(role)",
                    "geoip.path": "\(path)",
                    "geoip.error": "\(error.message)",
                    "geoip.serving_build_epoch": "\(serving.map { "\($0.metadata.buildEpoch)" } ?? "none")",
                ])
        }
        return .failed(error)
    }
}
