import Benchmark
import RoutingCore

/// The routing brain's hot path: the decision over 1, 8 and 64 candidates, the TTFT estimator and the breaker;
/// then a whole request's `plan` (`PlanBenchmarks`) and the snapshot cell beside the one it replaced
/// (`SnapshotBenchmarks`).
///
/// Each measured iteration runs the operation 1,000 times (`scalingFactor: .kilo`) and `mallocCountTotal` counts
/// every allocation of those 1,000 operations exactly. The tool's tables divide by the scaling factor and show
/// figures per operation (the metrics marked `*`; `--scale` shows them per iteration); the threshold files hold
/// the raw counts per iteration. The committed thresholds (`Thresholds/`, p90, no tolerance) hold it to 0 for the
/// decision, the estimator, the breaker, the hedge budget, the snapshot cell and `plan` for 8 deployments, and to
/// the count measured for `plan` past its inline capacity (see `PlanBenchmarks`; the control benchmark holds
/// 1,000); `swift package benchmark thresholds check`
/// fails on any other count.
///
/// Names have no spaces: the benchmark tool writes a threshold file with spaces turned into underscores but looks
/// it up by the name as written, so a name with spaces never finds its thresholds.
let benchmarks: @Sendable () -> Void = {
    let noAllocations: [BenchmarkMetric: BenchmarkThresholds] = [
        .mallocCountTotal: .init(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0])
    ]
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 2_000,
        thresholds: noAllocations)

    for count in [1, 8, 64] {
        let candidates = UnsafeMutableBufferPointer<CandidateView>.allocate(capacity: count)
        for index in 0..<count { candidates[index] = makeCandidate(index) }
        let ranked = UnsafeMutableBufferPointer<RankedCandidate>.allocate(capacity: count)
        let input = UnsafeBufferPointer(candidates)
        let control = RouteControl.none

        Benchmark("RoutingDecision.rank(\(count)candidates)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(RoutingDecision.rank(input, objective: .ttftMean, control: control, into: ranked))
            }
        }
    }

    do {
        let count = 64
        let candidates = UnsafeMutableBufferPointer<CandidateView>.allocate(capacity: count)
        for index in 0..<count { candidates[index] = makeCandidate(index) }
        let ranked = UnsafeMutableBufferPointer<RankedCandidate>.allocate(capacity: count)
        let input = UnsafeBufferPointer(candidates)
        // Parsed once, as the request path does before deciding; the decision itself only reads it.
        let header =
            #"{"order": ["provider-40", "provider-3"], "ignore": ["provider-7", "provider-8"], "#
            + #""max_ttft_ms": 900}"#
        let control = (try? RouteControl(header: header)) ?? .none

        Benchmark("RoutingDecision.rank(64candidates).withXEdgeRouteAndExplorationDraw") { benchmark in
            var draw: UInt64 = 0x9E37_79B9_7F4A_7C15
            for _ in benchmark.scaledIterations {
                draw &*= 6_364_136_223_846_793_005
                blackHole(
                    RoutingDecision.rank(
                        input, objective: .ttftP90, control: control, explorationDraw: draw, into: ranked))
            }
        }
    }

    Benchmark("TTFTEstimator.record") { benchmark in
        var estimator = TTFTEstimator()
        var now: UInt64 = 1_000_000_000_000
        var sample: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in benchmark.scaledIterations {
            now &+= 5_000_000
            sample = sample &* 6_364_136_223_846_793_005 &+ 1
            estimator.record(ttftNanos: 100_000_000 + (sample >> 34), source: .live, now: now)
        }
        blackHole(estimator.sampleCount)
    }

    Benchmark("TTFTEstimator.estimate") { benchmark in
        var estimator = TTFTEstimator()
        var now: UInt64 = 1_000_000_000_000
        var sample: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<5_000 {
            now &+= 5_000_000
            sample = sample &* 6_364_136_223_846_793_005 &+ 1
            estimator.record(ttftNanos: 100_000_000 + (sample >> 34), source: .live, now: now)
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            now &+= 1_000
            blackHole(estimator.estimate(now: now))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("CircuitBreaker.recordSuccess(closed)") { benchmark in
        var breaker = CircuitBreaker()
        var now: UInt64 = 1_000_000_000_000
        for _ in benchmark.scaledIterations {
            now &+= 1_000_000
            blackHole(breaker.record(.success(ttftNanos: 300_000_000, p90Nanos: 400_000_000), now: now))
        }
    }

    Benchmark("CircuitBreaker.openTrialCloseCycle") { benchmark in
        var breaker = CircuitBreaker()
        var now: UInt64 = 1_000_000_000_000
        for _ in benchmark.scaledIterations {
            for _ in 0..<5 { blackHole(breaker.record(.failure, now: now)) }
            // Past any open time, so the trial goes and closes it again.
            now &+= 400_000_000_000
            blackHole(breaker.admit(now: now))
            blackHole(breaker.record(.success(ttftNanos: 300_000_000, p90Nanos: nil), now: now))
        }
    }

    // A positive control: one allocation per operation must show as 1,000 per iteration, proving that the zeros
    // above come from the malloc counter and not from its absence.
    Benchmark("Control.oneHeapAllocationPerOperation") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(ManagedBuffer<Int, Int>.create(minimumCapacity: 1) { _ in index })
        }
    }

    Benchmark("HedgeBudget.noteRequestAndTryAcquireHedge") { benchmark in
        let budget = HedgeBudget()
        for _ in benchmark.scaledIterations {
            budget.noteRequest()
            blackHole(budget.tryAcquireHedge())
        }
    }

    planBenchmarks()
    snapshotBenchmarks()
}

/// A varied candidate: TTFTs from 100 ms up, some without data, some self-hosted with a capacity, one trial and
/// a few with open breakers, as a large model's deployments might look.
private func makeCandidate(_ index: Int) -> CandidateView {
    let p50 = UInt64(100 + (index * 37) % 900) * 1_000_000
    let estimate =
        index % 9 == 4
        ? TTFTEstimate.none
        : TTFTEstimate(
            ewmaNanos: p50 * 2, recentNanos: p50 + UInt64(index % 3) * 50_000_000,
            meanNanos: p50 + UInt64(index % 5) * 40_000_000, p50Nanos: p50,
            p90Nanos: p50 * 2, p99Nanos: p50 * 3, sampleCount: 500, liveSamples: 400, probeSamples: 100,
            newestSampleAgeNanos: 1_000_000_000, effectiveWeight: 80, confidence: Double(50 + index % 50) / 100)
    let availability: CircuitBreaker.Availability =
        index % 11 == 10 ? .unavailable(until: 5_000_000_000) : (index % 13 == 6 ? .trialAvailable : .available)
    return CandidateView(
        deploymentIndex: Int32(index), providerHash: ProviderIDHash.hash(of: "provider-\(index)"), ttft: estimate,
        availability: availability, inFlight: index % 5, capacity: index % 4 == 0 ? 8 : nil,
        pricePerMillion: Double(index % 6) * 0.5, retryAtNanos: nil)
}
