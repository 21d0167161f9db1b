import CMaxMindDB
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One open MaxMind DB file (City, Country, ASN, …), memory-mapped with `MMDB_MODE_MMAP`.
///
/// The instance owns the C library's `MMDB_s` and closes it (unmapping the file) in `deinit`,
/// so the mapping lives exactly as long as the last reference: a lookup that holds a
/// reference can never see the file unmapped under it.
///
/// Replace a database file by writing a new file and renaming it over the old one (what
/// geoipupdate does). Rewriting the mapped file in place (`cp new.mmdb old.mmdb`) changes
/// the bytes under every open mapping and can crash the process with `SIGBUS`.
///
/// `@unchecked Sendable` is safe because after `MMDB_open` returns, libmaxminddb only ever reads the `MMDB_s` and the
/// read-only mapping it points to (lookups keep their state on the caller's stack), so any
/// number of threads may look up concurrently; the handle is freed only in `deinit`, when
/// no reference, and so no lookup, remains.
public final class GeoIPDatabase: @unchecked Sendable {
    /// The path the database was opened from.
    public let path: String
    /// The database's own description of itself.
    public let metadata: DatabaseMetadata
    /// The file as it was just before it was opened; the resolver compares it with the disk.
    let fingerprint: FileFingerprint
    /// Lets the resolver log the first failed lookup of this database and stay quiet after.
    let lookupFailureReported = Atomic<Bool>(false)
    /// Allocated here, so its address is stable: every `MMDB_entry_s` points back at it.
    private let handle: UnsafeMutablePointer<MMDB_s>
    /// Which groups of fields to read. A City or Country database has no ASN fields and an
    /// ASN database no location fields: skipping the lookups that cannot succeed saves a walk
    /// of the record's top-level map each. Databases of unknown kind get both.
    private let readsLocationFields: Bool
    private let readsAutonomousSystemFields: Bool

    /// Opens and memory-maps the database at `path`.
    /// - Throws: ``GeoIPError`` naming the file and the cause: ``GeoIPError/Code/fileNotFound``,
    ///   ``GeoIPError/Code/permissionDenied``, ``GeoIPError/Code/fileUnreadable`` (a directory,
    ///   FIFO or I/O error), ``GeoIPError/Code/invalidDatabase`` (not a MaxMind DB: empty,
    ///   truncated, garbage) or, for damage found while opening, ``GeoIPError/Code/corruptData``.
    public init(path: String) throws(GeoIPError) {
        // stat first: it gives clearer reasons than MMDB_open, and it keeps us from calling
        // open(2) on a FIFO, which would block until a writer appears.
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw StatFailure(errorNumber: errno).geoIPError(path: path)
        }
        guard FileFingerprint.isRegularFile(info) else {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "it is a directory" : "it is not a regular file"
            throw GeoIPError(
                code: .fileUnreadable, message: "cannot open GeoIP database '\(path)': \(what)", path: path)
        }
        guard info.st_size > 0 else {
            throw GeoIPError(
                code: .invalidDatabase, message: "invalid GeoIP database '\(path)': the file is empty", path: path)
        }

        let handle = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        handle.initialize(to: MMDB_s())
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), handle)
        let openErrno = errno
        guard status == MMDB_SUCCESS else {
            // On failure MMDB_open has already released whatever it had mapped or allocated.
            handle.deinitialize(count: 1)
            handle.deallocate()
            throw GeoIPDatabase.openError(status: status, errorNumber: openErrno, path: path)
        }
        self.path = path
        self.handle = handle
        self.fingerprint = FileFingerprint(info)
        self.metadata = DatabaseMetadata(handle.pointee.metadata)
        let kind = metadata.kind
        self.readsLocationFields = kind != .asn
        self.readsAutonomousSystemFields = kind == .asn || kind == .other
    }

    deinit {
        MMDB_close(handle)
        handle.deinitialize(count: 1)
        handle.deallocate()
    }

    /// Looks up `ip`.
    ///
    /// Returns nil when the database has no entry for the address (an ordinary answer), and
    /// also for an IPv6 address in an IPv4-only database. A found entry whose fields are all
    /// absent gives a ``GeoLocation`` with every field nil.
    /// City and Country databases fill the location fields, ASN databases the autonomous-system
    /// fields, and databases of another kind are asked for both.
    ///
    /// Allocation: the socket address is built on the stack and the fields are read with
    /// static paths, so the only allocations are the strings of the result, and short ones
    /// (ISO codes, most city names: up to 15 bytes) are stored inline by `String`.
    /// - Throws: ``GeoIPError/Code/corruptSearchTree`` or ``GeoIPError/Code/corruptData`` when
    ///   the file is damaged where this address leads (never a crash).
    public func lookup(_ ip: IPAddress) throws(GeoIPError) -> GeoLocation? {
        var mmdbError: Int32 = MMDB_SUCCESS
        let result = withSocketAddress(of: ip) { address in
            MMDB_lookup_sockaddr(handle, address, &mmdbError)
        }
        if mmdbError != MMDB_SUCCESS {
            if mmdbError == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR { return nil }
            throw lookupError(status: mmdbError, ip: ip, field: nil)
        }
        guard result.found_entry else { return nil }

        var entry = result.entry
        var location = GeoLocation()
        if readsLocationFields {
            try readLocationFields(&entry, into: &location, ip)
        }
        if readsAutonomousSystemFields {
            location.asn = try integer(&entry, geoip_get_autonomous_system_number, ip, "autonomous_system_number")
                .map { UInt32(truncatingIfNeeded: $0) }
            location.asOrganization = try string(
                &entry, geoip_get_autonomous_system_organization, ip, "autonomous_system_organization")
        }
        return location
    }

    private func readLocationFields(_ entry: inout MMDB_entry_s, into location: inout GeoLocation, _ ip: IPAddress)
        throws(GeoIPError)
    {
        location.countryISOCode = try string(&entry, geoip_get_country_iso_code, ip, "country.iso_code")
        location.continentCode = try string(&entry, geoip_get_continent_code, ip, "continent.code")
        location.subdivisionISOCode = try string(&entry, geoip_get_subdivision_iso_code, ip, "subdivisions.0.iso_code")
        location.cityName = try string(&entry, geoip_get_city_name_en, ip, "city.names.en")

        // Find the `location` map once and read its three fields relative to it, instead of
        // walking the top-level map three more times.
        var data = MMDB_entry_data_s()
        if try present(geoip_get_location(&entry, &data), data, ip, "location"),
            data.type == UInt32(MMDB_DATA_TYPE_MAP)
        {
            var locationEntry = MMDB_entry_s(mmdb: handle, offset: data.offset)
            location.latitude = try double(&locationEntry, geoip_get_latitude, ip, "location.latitude")
            location.longitude = try double(&locationEntry, geoip_get_longitude, ip, "location.longitude")
            location.accuracyRadiusKm = try integer(
                &locationEntry, geoip_get_accuracy_radius, ip, "location.accuracy_radius"
            )
            .map { Int(truncatingIfNeeded: $0) }
        }
    }

    // MARK: - Field decoding

    /// The shape of the shim's `geoip_get_*` functions.
    private typealias Getter = (UnsafeMutablePointer<MMDB_entry_s>?, UnsafeMutablePointer<MMDB_entry_data_s>?) -> Int32

    /// Turns a lookup status into "present", "absent" or an error. A path that does not match
    /// the data (missing key, short array) is absence, not damage.
    @inline(__always)
    private func present(_ status: Int32, _ data: MMDB_entry_data_s, _ ip: IPAddress, _ field: StaticString)
        throws(GeoIPError) -> Bool
    {
        if status == MMDB_SUCCESS { return data.has_data }
        if status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR { return false }
        throw lookupError(status: status, ip: ip, field: field)
    }

    private func string(_ entry: inout MMDB_entry_s, _ getter: Getter, _ ip: IPAddress, _ field: StaticString)
        throws(GeoIPError) -> String?
    {
        var data = MMDB_entry_data_s()
        guard try present(getter(&entry, &data), data, ip, field) else { return nil }
        guard data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING), let pointer = data.utf8_string else {
            throw typeError(data.type, expected: "a string", ip: ip, field: field)
        }
        // The bytes are in the mapping, bounds-checked by libmaxminddb; invalid UTF-8 is
        // repaired with U+FFFD rather than trusted.
        let bytes = UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self)
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(data.data_size)), as: UTF8.self)
    }

    private func double(_ entry: inout MMDB_entry_s, _ getter: Getter, _ ip: IPAddress, _ field: StaticString)
        throws(GeoIPError) -> Double?
    {
        var data = MMDB_entry_data_s()
        guard try present(getter(&entry, &data), data, ip, field) else { return nil }
        let value: Double
        switch Int32(data.type) {
        case MMDB_DATA_TYPE_DOUBLE: value = data.double_value
        case MMDB_DATA_TYPE_FLOAT: value = Double(data.float_value)
        default: throw typeError(data.type, expected: "a floating-point number", ip: ip, field: field)
        }
        return value.isFinite ? value : nil
    }

    private func integer(_ entry: inout MMDB_entry_s, _ getter: Getter, _ ip: IPAddress, _ field: StaticString)
        throws(GeoIPError) -> UInt64?
    {
        var data = MMDB_entry_data_s()
        guard try present(getter(&entry, &data), data, ip, field) else { return nil }
        switch Int32(data.type) {
        case MMDB_DATA_TYPE_UINT16: return UInt64(data.uint16)
        case MMDB_DATA_TYPE_UINT32: return UInt64(data.uint32)
        case MMDB_DATA_TYPE_UINT64: return data.uint64
        case MMDB_DATA_TYPE_INT32:
            guard data.int32 >= 0 else { return nil }
            return UInt64(data.int32)
        default: throw typeError(data.type, expected: "an unsigned integer", ip: ip, field: field)
        }
    }

    // MARK: - Errors

    private func lookupError(status: Int32, ip: IPAddress, field: StaticString?) -> GeoIPError {
        let code: GeoIPError.Code =
            switch status {
            case MMDB_CORRUPT_SEARCH_TREE_ERROR, MMDB_INVALID_NODE_NUMBER_ERROR: .corruptSearchTree
            case MMDB_OUT_OF_MEMORY_ERROR: .outOfMemory
            default: .corruptData
            }
        let place = field.map { "reading \($0) for \(ip)" } ?? "looking up \(ip)"
        return GeoIPError(
            code: code,
            message: "corrupt GeoIP database '\(path)': \(GeoIPDatabase.reason(status)) (\(place))",
            path: path)
    }

    private func typeError(_ type: UInt32, expected: String, ip: IPAddress, field: StaticString) -> GeoIPError {
        GeoIPError(
            code: .corruptData,
            message: "corrupt GeoIP database '\(path)': \(field) for \(ip) has MaxMind data type \(type), "
                + "expected \(expected)",
            path: path)
    }

    private static func openError(status: Int32, errorNumber: Int32, path: String) -> GeoIPError {
        let cause = reason(status)
        switch status {
        case MMDB_FILE_OPEN_ERROR:
            return StatFailure(errorNumber: errorNumber).geoIPError(path: path)
        case MMDB_IO_ERROR:
            let detail = errorNumber != 0 ? " (\(StatFailure(errorNumber: errorNumber).reason))" : ""
            return GeoIPError(
                code: .fileUnreadable, message: "cannot read GeoIP database '\(path)': \(cause)\(detail)", path: path)
        case MMDB_INVALID_METADATA_ERROR, MMDB_UNKNOWN_DATABASE_FORMAT_ERROR:
            return GeoIPError(
                code: .invalidDatabase, message: "invalid GeoIP database '\(path)': \(cause)", path: path)
        case MMDB_OUT_OF_MEMORY_ERROR:
            return GeoIPError(code: .outOfMemory, message: "cannot open GeoIP database '\(path)': \(cause)", path: path)
        case MMDB_CORRUPT_SEARCH_TREE_ERROR:
            return GeoIPError(
                code: .corruptSearchTree, message: "corrupt GeoIP database '\(path)': \(cause)", path: path)
        default:
            return GeoIPError(code: .corruptData, message: "corrupt GeoIP database '\(path)': \(cause)", path: path)
        }
    }

    /// libmaxminddb's sentence for a status code (a static string, never freed).
    private static func reason(_ status: Int32) -> String {
        String(cString: MMDB_strerror(status))
    }
}

/// Calls `body` with a `sockaddr` for `ip`, built on the stack.
@inline(__always)
private func withSocketAddress<Result>(of ip: IPAddress, _ body: (UnsafePointer<sockaddr>) -> Result) -> Result {
    switch ip.storage {
    case .v4(let value):
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = value.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body)
        }
    case .v6(let value):
        var address = sockaddr_in6()
        #if canImport(Darwin)
        address.sin6_len = UInt8(MemoryLayout<sockaddr_in6>.size)
        #endif
        address.sin6_family = sa_family_t(AF_INET6)
        withUnsafeMutableBytes(of: &address.sin6_addr) { bytes in
            bytes.storeBytes(of: value.bigEndian, as: UInt128.self)
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body)
        }
    }
}
