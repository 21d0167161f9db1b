import Logging
import RoutingCore

/// An engine serving one model, `bench`, from `deployments` providers whose TTFTs lie 100 ms apart, with `samples`
/// live first tokens recorded on each: every deployment has an estimate and a closed breaker, as on a node that
/// has been serving for a while.
struct EngineFixture: Sendable {
    let engine: RoutingEngine
    /// A plain request for the model: no pin, no `x-edge-route`, no residency rule.
    let request: RouteRequest
    /// Just after the last sample, so that the estimates are fresh.
    let now: UInt64

    init(deployments count: Int, samples: Int = 20) {
        let deployments = (0..<count).map { index in
            Deployment(
                provider: Provider(id: "provider-\(index)", baseURL: "http://127.0.0.1:\(9100 + index)/v1"),
                upstreamModel: "bench-\(index)")
        }
        let model = Model(name: "bench", deployments: deployments)
        // No log line is expected (no breaker moves); a discarding handler keeps the measurement free of I/O.
        engine = RoutingEngine(models: [model], logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        var now = MonotonicTime.now()
        let runtimes = engine.runtimes
        for round in 0..<samples {
            for (index, runtime) in runtimes.enumerated() {
                now += 1_000_000
                // A little jitter per round, so that the quantiles are not degenerate.
                let millis = UInt64(100 + index * 100 + (round % 7) * 5)
                _ = runtime.recordSuccess(ttftNanos: millis * 1_000_000, source: .live, now: now)
            }
        }
        self.now = now + 1_000_000
        request = RouteRequest(model: model)
    }
}
