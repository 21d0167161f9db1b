import Foundation
import Probe
import Prometheus
import RoutingCore

/// Probe metrics: each phase's time as a histogram by provider, model and phase; outcomes by cause; the time of
/// the last probe (its age is `time() - edge_probe_last_timestamp_seconds`).
final class ProbeMetrics: Sendable {
    static let phases = ["dns", "connect", "tls", "first_byte", "first_token", "total"]
    static let outcomes = ["ok", "skipped", "http_status", "timeout", "tls", "connect", "dns", "stream", "other"]

    private struct PerDeployment: Sendable {
        var phases: [String: DurationHistogram]
        var outcomes: [String: Counter]
        var last: Gauge
    }

    private let perDeployment: MetricTable<PerDeployment>

    init(configuration: RouterConfiguration, registry: PrometheusCollectorRegistry) {
        let phase = MetricNames.probePhase
        let outcome = MetricNames.probes
        let last = MetricNames.probeLast
        let buckets: [Duration] = [.microseconds(100), .microseconds(500), .milliseconds(1)] + RouterMetrics.latencyBuckets
        perDeployment = MetricTable(models: configuration.models) { model, deployment in
            let labels = [("model", model.name), ("provider", deployment.provider.id)]
            return PerDeployment(
                phases: Dictionary(uniqueKeysWithValues: Self.phases.map {
                    ($0, registry.makeDurationHistogram(descriptor: phase.descriptor, labels: labels + [("phase", $0)], buckets: buckets))
                }),
                outcomes: Dictionary(uniqueKeysWithValues: Self.outcomes.map {
                    ($0, registry.makeCounter(descriptor: outcome.descriptor, labels: labels + [("outcome", $0)]))
                }),
                last: registry.makeGauge(descriptor: last.descriptor, labels: labels))
        }
    }

    /// Series for a reloaded configuration's deployments (see ``RouterMetrics/follow(_:dropping:)``).
    func follow(_ models: [Model], dropping: Bool) {
        perDeployment.follow(models, dropping: dropping)
    }

    func recordSkip(_ deployment: Deployment) {
        perDeployment[deployment.key]?.outcomes["skipped"]?.increment()
    }

    func record(_ result: ProbeResult, deployment: Deployment) {
        guard let metrics = perDeployment[deployment.key] else { return }
        metrics.last.set(Date().timeIntervalSince1970)
        metrics.outcomes[Self.outcome(result)]?.increment()
        guard result.isSuccess else { return }
        if !result.connectionReused {
            metrics.phases["dns"]?.record(result.dns)
            metrics.phases["connect"]?.record(result.tcpConnect)
            if result.tlsHandshake > .zero { metrics.phases["tls"]?.record(result.tlsHandshake) }
        }
        if let firstByte = result.timeToFirstByte { metrics.phases["first_byte"]?.record(firstByte) }
        if let firstToken = result.timeToFirstToken { metrics.phases["first_token"]?.record(firstToken) }
        metrics.phases["total"]?.record(result.total)
    }

    static func outcome(_ result: ProbeResult) -> String {
        guard let error = result.error else { return "ok" }
        switch error.code {
        case .httpStatus: return "http_status"
        case .timeout: return "timeout"
        case .tls: return "tls"
        case .connect: return "connect"
        case .dns: return "dns"
        case .stream, .protocol: return "stream"
        default: return "other"
        }
    }
}
