import EdgeLoadCore

/// What one measured step cost the proxy, per unit of work, and how often it opened an upstream connection.
extension ResultSet.Entry {
    /// The proxy's CPU time (user + system, over the measured window) per request answered, in µs.
    var cpuMicrosPerRequest: Double? {
        guard report.succeeded > 0, let cpu = report.processes["proxy"]?.cpuSeconds else { return nil }
        return cpu / Double(report.succeeded) * 1_000_000
    }

    /// The proxy's CPU time per streamed content delta delivered, in µs.
    var cpuMicrosPerDelta: Double? {
        guard report.contentDeltas > 0, let cpu = report.processes["proxy"]?.cpuSeconds else { return nil }
        return cpu / Double(report.contentDeltas) * 1_000_000
    }

    /// Upstream connections opened per request answered: TCP handshakes, and on an HTTPS upstream TLS handshakes
    /// too. The connections are counted over the whole run (warm-up and drain included) and the requests over the
    /// measured window only, so this is an upper bound; a proxy that reuses its connections shows a figure far
    /// below 1.
    var handshakesPerRequest: Double? {
        guard let upstreamConnections, report.succeeded > 0 else { return nil }
        return Double(upstreamConnections) / Double(report.succeeded)
    }
}

extension Format {
    /// A ratio of two optional figures, or a dash when either is missing or the divisor is not positive.
    static func ratio(_ numerator: Double?, over denominator: Double?) -> String {
        guard let numerator, let denominator, denominator > 0 else { return "—" }
        return ratio(numerator / denominator)
    }

    /// Handshakes per request: enough digits to tell 0.0004 from 0.004, never an exponent.
    static func handshakes(_ value: Double) -> String {
        value == 0 ? "0" : value >= 0.1 ? String(format: "%.2f", value) : String(format: "%.4f", value)
    }

    /// Microseconds of CPU: whole ones above 100, one decimal below.
    static func micros(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }
}
