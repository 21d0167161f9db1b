@testable import EdgeRouter
@testable import RoutingCore
import Logging
import Testing

@Suite("Routing engine under concurrency", .timeLimit(.minutes(5)))
struct RoutingEngineStressTests {
    @Test("decisions on many threads while snapshots are swapped and samples and failures recorded")
    func decideWhileSwappingAndRecording() async throws {
        let configuration = try ConfigurationLoader.parse(
            yaml: testYAML(ports: Array(1...8)), environment: ["TEST_PROVIDER_KEY": "k"])
        let engine = RoutingEngine(models: configuration.models, settings: configuration.routing, logger: RouterHarness.logger)
        let model = try #require(configuration.model(named: "m"))
        let request = RouteRequest(model: model, pinnedProvider: nil, control: .none, residency: nil)

        let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<5_000 {
                        let plan = engine.plan(request, now: MonotonicTime.now())
                        let keys = Set(plan.candidates.map(\.deployment.key))
                        // Every deployment at most once; none lost while snapshots change under the reader.
                        if keys.count != plan.candidates.count || plan.candidates.isEmpty { return false }
                    }
                    return true
                }
            }
            group.addTask {
                let plan = engine.plan(request, now: MonotonicTime.now())
                for round in 0..<5_000 {
                    let candidate = plan.candidates[round % plan.candidates.count]
                    if round % 7 == 0 {
                        engine.recordFailure(candidate, AttemptFailure(.status, deployment: candidate.deployment.label, status: 503, detail: "HTTP 503"))
                    } else {
                        engine.recordSuccess(candidate, ttft: .milliseconds(20 + round % 300))
                    }
                }
                return true
            }
            group.addTask {
                for _ in 0..<500 { engine.publish(configuration.models) }
                return true
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
        // What was learned survives the swaps: the runtimes are carried into each new snapshot.
        let learned = engine.plan(request, now: MonotonicTime.now()).candidates.filter { $0.estimate.hasData }
        #expect(!learned.isEmpty)
    }
}
