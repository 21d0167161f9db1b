import Benchmark
import RoutingCore

/// A whole request's routing as the request path calls it: `RoutingEngine.plan` for one model with 8 deployments
/// that all have estimates. It loads the snapshot from its cell, looks the model up, notes the request in the
/// hedge budget, reads every deployment's published atomics, runs the decision (with an exploration draw, since
/// every deployment is measured) and builds the plan.
///
/// The decision itself allocates nothing (the `rank` benchmarks hold it to 0), but `plan` around it does, twice
/// per request (`--allocation-stacks` shows where): the plan handed to the pipeline keeps its candidates in a
/// Swift array, and the candidate views the decision reads are gathered in a `withUnsafeTemporaryAllocation`
/// buffer which, for 8 deployments, is over the 1 KiB that the standard library always keeps on the stack, and
/// lands on the heap. The committed threshold pins the count measured (p90 of `mallocCountTotal` per 1,000
/// plans, exact), so that any further allocation on the path fails `swift package benchmark thresholds check`;
/// removing one shows there as an improvement, to be committed by lowering the threshold.
func planBenchmarks() {
    let fixture = EngineFixture(deployments: 8)

    Benchmark("RoutingEngine.plan(8deployments)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(fixture.engine.plan(fixture.request, now: fixture.now))
        }
    }
}
