import Probe
import RoutingCore

extension Provider {
    /// The base URL as it may be printed or logged: without user info (`user:password@`) or query.
    public var displayURL: String { RedactedURL.withoutCredentials(baseURL) }
}
