/// Why an `x-edge-route` header was refused. The message names the field at fault and is safe to show to the
/// client (a 400 response); it never echoes more than the field name.
public struct RouteControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault, when the problem is in one field.
    public var field: String?
    /// The full message, starting with `x-edge-route: `.
    public var message: String

    /// An error about `field` (nil for the header as a whole); `detail` follows `x-edge-route: `.
    public init(field: String?, detail: String) {
        self.field = field
        message = "x-edge-route: " + detail
    }

    /// The message.
    public var description: String { message }
}
