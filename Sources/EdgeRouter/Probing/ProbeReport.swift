import Foundation
import Probe
import RoutingCore

/// A probe result as table cells (milliseconds), for `edge-router probe`.
public struct ProbeReport: Sendable {
    /// DNS, connect, TLS, first byte, first token, status.
    public let cells: [String]
    /// Whether the probe failed.
    public let failed: Bool

    public init(_ result: ProbeResult) {
        func ms(_ duration: Duration?) -> String {
            guard let duration else { return "-" }
            return String(format: "%.1f ms", duration.milliseconds)
        }
        let status: String
        if let error = result.error {
            status = "FAILED: \(error.message)"
        } else {
            status = "ok (HTTP \(result.httpStatus ?? 0), \(result.httpVersion.rawValue))"
        }
        cells = [
            ms(result.dns), ms(result.tcpConnect), result.tlsHandshake > .zero ? ms(result.tlsHandshake) : "-",
            ms(result.timeToFirstByte), ms(result.timeToFirstToken), status,
        ]
        failed = result.error != nil
    }
}
