import RoutingCore

/// The `x-edge-timeout-ms` request header: a client's own deadline for its request, until the first token.
///
/// It can only shorten the configured `request_timeout_ms`: a larger value is clamped to it (so a client may send a
/// generous value without knowing the node's setting). A value that is not a positive whole number of milliseconds
/// (a sign, a fraction, an exponent, hex, an empty value, two values, or a number past 64 bits) is refused with a
/// 400 naming the header: a deadline the client believes in but the router ignores would be worse than an error.
enum ClientDeadline {
    /// The header's name.
    static let headerName = "x-edge-timeout-ms"

    /// The request's deadline until its first token: `configured`, or the header's value when shorter.
    static func timeout(header value: String?, configured: Duration) throws(EdgeRouterError) -> Duration {
        guard let value else { return configured }
        guard let millis = milliseconds(value) else {
            throw EdgeRouterError(
                .invalidRequest,
                "\(headerName) must be a positive whole number of milliseconds (got '\(EchoedInput.quoted(value))').",
                param: headerName)
        }
        // Capped at about 35 years first: past any configured timeout, and far from overflowing a Duration.
        let requested = Duration.milliseconds(min(millis, 1 << 40))
        return requested < configured ? requested : configured
    }

    /// The value as a positive integer: ASCII digits only (leading zeros allowed), fitting in 63 bits.
    static func milliseconds(_ value: String) -> Int64? {
        var result: Int64 = 0
        var digits = 0
        for byte in value.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflowA) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            result = sum
            digits += 1
        }
        return digits > 0 && result > 0 ? result : nil
    }
}
