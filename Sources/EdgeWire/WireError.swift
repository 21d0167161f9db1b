/// A client's request that its dialect's parser refused: always the client's error (HTTP 400), with a message
/// that names the field (`param`) in the client's own terms. The router answers it in the client's dialect.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, for the client: names the field, never echoes more than a short excerpt of its value.
    public var message: String
    /// The offending field's path (`messages[2].role`), when one field is at fault.
    public var param: String?

    /// An error with its message and, when one field is at fault, that field.
    public init(_ message: String, param: String? = nil) {
        self.message = message
        self.param = param
    }

    public var description: String { message }
}
