import Probe
import RoutingCore

/// The latest probe of a deployment, as `/admin/routes` and `edge-router probe` show it.
struct ProbeSummary: Sendable {
    var at: ContinuousClock.Instant
    var result: ProbeResult

    /// Milliseconds with one decimal, for tables and JSON.
    static func ms(_ duration: Duration?) -> Double? {
        duration.map { ($0.milliseconds * 10).rounded() / 10 }
    }

    var json: [String: Any] {
        var object: [String: Any] = [
            "dns_ms": Self.ms(result.dns) ?? 0, "connect_ms": Self.ms(result.tcpConnect) ?? 0,
            "tls_ms": Self.ms(result.tlsHandshake) ?? 0, "total_ms": Self.ms(result.total) ?? 0,
            "reused_connection": result.connectionReused, "age_ms": Int((ContinuousClock.now - at).milliseconds),
        ]
        if let value = Self.ms(result.timeToFirstByte) { object["first_byte_ms"] = value }
        if let value = Self.ms(result.timeToFirstToken) { object["first_token_ms"] = value }
        if let status = result.httpStatus { object["status"] = status }
        if let error = result.error { object["error"] = error.message }
        return object
    }
}
