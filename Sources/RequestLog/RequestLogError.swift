/// The one error type of the RequestLog module: a query the log cannot answer, or a store that failed.
public struct RequestLogError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable {
        /// A query names a field or value the log does not know (the caller's mistake: a 400 for an HTTP client).
        case invalidQuery
        /// The store could not be opened, migrated, written or read.
        case storage
    }

    public var code: Code
    /// What is wrong, naming the field at fault; never a row's contents.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
