import Foundation
import NIOCore
import NIOFoundationCompat

/// The control endpoints: `GET`/`POST /_sim/config`, `GET /_sim/stats`, `POST /_sim/reset`. Off the hot path:
/// answers are written with Foundation's `JSONSerialization`; requests are read with EdgeJSON, like every JSON
/// the project reads.
extension ProviderSimulator {
    /// The settings as `GET /_sim/config` shows them.
    func configResponse() -> SimpleResponse {
        Self.json(settings.json)
    }

    /// `POST /_sim/config`: applies a JSON object of settings, or answers 400 naming the field at fault.
    func configure(body: ByteBuffer) -> SimpleResponse {
        let object = body.withUnsafeReadableBytes { ControlBodyReader.read($0.assumingMemoryBound(to: UInt8.self)) }
        guard let object else {
            return .error(400, "expected a JSON object")
        }
        var settings = self.settings
        do {
            try settings.apply(json: object)
        } catch {
            return .error(400, "\(error)")
        }
        update { [settings] in $0 = settings }
        return Self.json(settings.json)
    }

    func statsResponse() -> SimpleResponse {
        let stats = self.stats
        return Self.json([
            "received": stats.received, "completed": stats.completed, "cancelled": stats.cancelled,
            "failed": stats.failed, "cut": stats.cut, "in_flight": stats.inFlight, "embeddings": stats.embeddings, "responses": stats.responses,
            "connections": stats.connections,
        ])
    }

    func reset() -> SimpleResponse {
        state.withLockedValue { $0.stats = SimulatorStats() }
        return Self.json(["reset": true])
    }

    private static func json(_ object: [String: Any]) -> SimpleResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return SimpleResponse(status: 200, body: String(decoding: data, as: UTF8.self))
    }
}
