import Foundation
import Probe
import RoutingCore

/// Sends one probe to one deployment: a real streaming request in the provider's dialect with a tiny prompt, timed
/// by libcurl phase by phase and by the data plane's own first-token detection. Used by the background scheduler
/// and by `edge-router probe`.
public struct ProbeRunner: Sendable {
    let engine: ProbeEngine
    let settings: ProbeSettings

    /// - Throws: when libcurl cannot be set up.
    public init(settings: ProbeSettings) throws(EdgeRouterError) {
        self.settings = settings
        do {
            engine = try ProbeEngine(configuration: .init(maxConcurrentTransfers: max(settings.maxConcurrent, 1)))
        } catch {
            throw EdgeRouterError(.internalError, "the probe engine could not start: \(error.message)")
        }
    }

    /// Probes `deployment`; `cold` opens a fresh connection so connect and TLS are measured.
    public func probe(_ deployment: Deployment, probe: ModelProbe, cold: Bool) async -> ProbeResult {
        let body: [String: Any] = [
            "model": deployment.upstreamModel,
            "messages": [["role": "user", "content": probe.prompt ?? settings.prompt]],
            "max_tokens": probe.maxTokens ?? settings.maxTokens,
            "stream": true,
        ]
        var headers: [(name: String, value: String)] = [("content-type", "application/json"), ("accept", "text/event-stream")]
        if let key = deployment.provider.apiKey, !key.isEmpty { headers.append(("authorization", "Bearer \(key)")) }
        headers += deployment.provider.headers
        let request = ProbeRequest(
            url: deployment.provider.baseURL + "/chat/completions",
            headers: headers,
            body: Array((try? JSONSerialization.data(withJSONObject: body)) ?? Data()),
            reuseConnection: !cold,
            tls: .init(caBundlePath: settings.caBundlePath),
            timeouts: .init(
                connect: settings.connectTimeout, firstToken: settings.firstTokenTimeout,
                total: settings.firstTokenTimeout + .seconds(5)),
            stopAfterFirstToken: true,
            bodyObserver: { FirstTokenObserver() })
        do {
            return try await engine.probe(request)
        } catch {
            return .failed(error)
        }
    }

    /// Stops the probe thread; pending probes fail. Suspends until the thread has exited, blocking no thread.
    public func shutdown() async {
        await engine.shutdown()
    }
}

extension ProbeResult {
    /// A result for a probe that measured nothing (cancelled, or the engine was shut down).
    static func failed(_ error: ProbeError) -> ProbeResult {
        ProbeResult(
            httpStatus: nil, dns: .zero, tcpConnect: .zero, tlsHandshake: .zero, timeToFirstByte: nil,
            timeToFirstToken: nil, total: .zero, connectionReused: false, httpVersion: .unknown, bytesReceived: 0,
            stoppedAfterFirstToken: false, error: error)
    }
}
