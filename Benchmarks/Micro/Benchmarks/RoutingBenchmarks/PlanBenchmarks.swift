import Benchmark
import RoutingCore

/// A whole request's routing as the request path calls it: `RoutingEngine.plan` for one model with 8 deployments
/// that all have estimates. It loads the snapshot from its cell, looks the model up, notes the request in the
/// hedge budget, reads every deployment's published atomics, runs the decision (with an exploration draw, since
/// every deployment is measured) and builds the plan.
///
/// For up to 8 deployments (`RouteCandidates.inlineCapacity`) the whole plan allocates nothing: the candidate
/// views are gathered in a stack tuple and the plan keeps its candidates inline. Before (a754b60) it allocated
/// twice per request: the plan's candidates were a Swift array, and the views a `withUnsafeTemporaryAllocation`
/// buffer which, for 8 deployments, is over the 1 KiB that the standard library keeps on the stack. Measured with
/// a754b60 and this code built side by side, three runs each in turns (p50 per plan, 2 shared cores): 1,021-1,698
/// ns and 2 allocations before, 1,820-2,191 ns and 0 allocations after, 1.29-1.78x the time: the plan holding its
/// candidates inline (about 1 KiB, references retained per copy) costs more than the two allocations did. Where
/// the time goes is not yet profiled.
///
/// `plan(16deployments)` is the case past the inline capacity: the views go back to a temporary allocation (on the
/// heap past 1 KiB) and the plan moves its candidates into one array, two allocations per request, as before. The
/// committed thresholds pin both counts (p90 of `mallocCountTotal` per 1,000 plans, exact), so that any further
/// allocation on the path fails `swift package benchmark thresholds check`.
func planBenchmarks() {
    for count in [8, 16] {
        let fixture = EngineFixture(deployments: count)

        Benchmark("RoutingEngine.plan(\(count)deployments)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(fixture.engine.plan(fixture.request, now: fixture.now))
            }
        }
    }
}
