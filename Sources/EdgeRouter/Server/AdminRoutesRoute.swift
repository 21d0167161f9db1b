import Foundation
import Hummingbird
import NIOCore
import RoutingCore

/// `GET /admin/routes`: for every model, every one of its deployments with what the router knows of it: estimates,
/// quantiles, samples by source, age, breaker state (with its reason, `retry_in_ms` until the next trial and the
/// last failure), in-flight requests and share of decisions. Those a request could use now come first with their
/// `rank`; ejected or suspect ones follow with `rank: null`. Admin keys only.
struct AdminRoutesRoute: Sendable {
    let engine: RoutingEngine
    let probes: ProbeScheduler?

    func handle(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let now = MonotonicTime.now()
        let models: [[String: Any]] = engine.adminView(now: now).map { view in
            let total = max(view.runtimes.reduce(0) { $0 + $1.decisions.load(ordering: .relaxed) }, 1)
            // Ranked deployments first, then those no request would go to now (ejected or suspect), so that an
            // ejection and its reason are visible here.
            let rankedRuntimes = view.plan.candidates.map(\.runtime)
            let excluded = view.runtimes.filter { runtime in !rankedRuntimes.contains { $0 === runtime } }
            let listed: [(rank: Int?, runtime: DeploymentRuntime, isTrial: Bool)] =
                view.plan.candidates.enumerated().map { ($0 + 1, $1.runtime, $1.isTrial) } + excluded.map { (nil, $0, false) }
            let ranked = listed.map { rank, runtime, isTrial -> [String: Any] in
                let (estimate, breaker, openings, lastFailure) = runtime.snapshot(now: now)
                func ms(_ nanos: UInt64) -> Double { (Double(nanos) / 1e4).rounded() / 100 }
                var entry: [String: Any] = [
                    "rank": rank.map { $0 as Any } ?? NSNull(),
                    "suspect": runtime.isSuspect(now: now),
                    "provider": runtime.deployment.provider.id,
                    "upstream_model": runtime.deployment.upstreamModel,
                    "region": runtime.deployment.provider.region,
                    "breaker": breaker.nameAndCode.name,
                    "breaker_openings": openings,
                    "in_flight": runtime.inFlight.load(ordering: .relaxed),
                    "traffic_share": (Double(runtime.decisions.load(ordering: .relaxed)) / Double(total) * 1000).rounded() / 1000,
                    "trial_next": isTrial,
                    "samples": ["live": estimate.liveSamples, "probe": estimate.probeSamples],
                ]
                if estimate.hasData {
                    entry["ttft_ms"] = [
                        "ewma": ms(estimate.ewmaNanos), "recent": ms(estimate.recentNanos), "mean": ms(estimate.meanNanos), "p50": ms(estimate.p50Nanos),
                        "p90": ms(estimate.p90Nanos), "p99": ms(estimate.p99Nanos),
                    ]
                    entry["estimate_age_ms"] = (estimate.newestSampleAgeNanos ?? 0) / 1_000_000
                    entry["confidence"] = (estimate.confidence * 1000).rounded() / 1000
                }
                // A rate-limited deployment is out of rotation too: it gets a reason and a retry time like an open one.
                switch breaker {
                case .open(_, let reason): entry["breaker_reason"] = reason.rawValue
                case .rateLimited: entry["breaker_reason"] = CircuitBreaker.Reason.rateLimited.rawValue
                case .closed, .halfOpen: break
                }
                if let until = CircuitBreaker.retryAt(of: breaker) {
                    entry["retry_in_ms"] = until > now ? (until - now) / 1_000_000 : 0
                }
                if let lastFailure { entry["last_failure"] = lastFailure }
                if let probe = probes?.latestProbe(of: runtime.deployment) { entry["last_probe"] = probe.json }
                return entry
            }
            return [
                "model": view.model.name,
                "objective": view.model.routing.objective.rawValue,
                "hedge": "\(view.model.routing.hedge)",
                "reason": view.plan.reason.rawValue,
                "deployments": ranked,
            ]
        }
        let data = try JSONSerialization.data(
            withJSONObject: ["models": models, "hedge_budget_available": engine.hedgeBudget.availableHedges],
            options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
        return Response(
            status: .ok, headers: [.contentType: "application/json", .edgeRequestID: context.requestID],
            body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }
}
