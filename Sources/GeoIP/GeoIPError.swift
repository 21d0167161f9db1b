/// The one error type of the GeoIP module.
///
/// `code` is for programs (switch on it); `message` is for people and logs: it
/// names the file (or the offending text) and the cause, for example
/// `cannot open GeoIP database '/var/lib/GeoIP/GeoLite2-City.mmdb': No such file or directory`.
public struct GeoIPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, independent of the wording of ``message``.
    public enum Code: Sendable, Hashable {
        /// The database file does not exist.
        case fileNotFound
        /// The process may not read the database file.
        case permissionDenied
        /// The path exists but could not be read as a database file
        /// (a directory, a device, an I/O error, an empty file).
        case fileUnreadable
        /// The file is not a MaxMind DB: its metadata is missing or invalid, or its format is unknown.
        case invalidDatabase
        /// The database's search tree points outside itself.
        case corruptSearchTree
        /// The database's data section holds bad data (bad pointer, bad type, bad size).
        case corruptData
        /// The C library ran out of memory.
        case outOfMemory
        /// The file is a valid MaxMind DB, but of a kind that cannot serve the role it was configured for
        /// (for example an ASN database configured as the location database).
        case unsupportedDatabase
        /// Text that should hold an IP address does not.
        case invalidAddress
        /// Text that should hold a CIDR block (`10.0.0.0/8`, `2001:db8::/32`) does not.
        case invalidCIDR
    }

    /// What went wrong.
    public let code: Code
    /// A sentence for people and logs that names the file (or text) and the cause.
    public let message: String
    /// The database file involved, when there is one.
    public let path: String?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A sentence naming the file or text and the cause.
    ///   - path: The database file involved, if any.
    public init(code: Code, message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// The ``message``.
    public var description: String { message }
}
