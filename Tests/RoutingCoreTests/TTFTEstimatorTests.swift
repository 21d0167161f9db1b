import RoutingCore
import Testing

@Suite("TTFTEstimator", .timeLimit(.minutes(5)))
struct TTFTEstimatorTests {
    private func isClose(_ value: UInt64, to expected: Double, within tolerance: Double) -> Bool {
        abs(Double(value) - expected) <= tolerance * expected
    }

    @Test("the documented defaults")
    func defaults() {
        let configuration = TTFTEstimator.Configuration()
        #expect(configuration.ewmaDecay == 10_000_000_000)
        #expect(configuration.recentHalfLife == 20_000_000_000)
        #expect(configuration.changeThreshold == 5)
        #expect(configuration.quantileHalfLife == 30_000_000_000)
        #expect(configuration.staleAfter == 30_000_000_000)
        #expect(configuration.halfConfidenceWeight == 3)
        #expect(configuration.lowestNanos == 1_000_000)
        #expect(configuration.highestNanos == 300_000_000_000)
    }

    @Test("no samples: nothing known, confidence 0")
    func empty() {
        let estimator = TTFTEstimator()
        let estimate = estimator.estimate(now: TestTime.origin)
        #expect(estimate == .none)
        #expect(!estimate.hasData)
        #expect(estimate.confidence == 0)
        #expect(estimate.newestSampleAgeNanos == nil)
    }

    @Test("converges to a log-normal distribution's quantiles")
    func convergesToLogNormal() {
        var random = RoutingTestRandom(seed: 42)
        var estimator = TTFTEstimator()
        let median = 800e6
        let sigma = 0.5
        var now = TestTime.origin
        for _ in 0..<20_000 {
            now += TestTime.ms(5)
            estimator.record(ttftNanos: random.logNormalNanos(median: median, sigma: sigma), source: .live, now: now)
        }
        let estimate = estimator.estimate(now: now)
        #expect(isClose(estimate.p50Nanos, to: median, within: 0.10))
        #expect(isClose(estimate.p90Nanos, to: median * testExp(1.281552 * sigma), within: 0.10))
        #expect(isClose(estimate.p99Nanos, to: median * testExp(2.326348 * sigma), within: 0.10))
        // The level's geometric mean estimates the median too, and its expected TTFT the log-normal's mean.
        #expect(isClose(estimate.recentNanos, to: median, within: 0.10))
        #expect(isClose(estimate.meanNanos, to: median * testExp(sigma * sigma / 2), within: 0.10))
        // The Peak-EWMA sits above the median on a busy stream: every slow outlier resets it upward.
        #expect(Double(estimate.ewmaNanos) > median)
        #expect(estimate.sampleCount == 20_000)
        #expect(estimate.liveSamples == 20_000)
        #expect(estimate.confidence > 0.99)
    }

    @Test("tight quantiles for a narrow distribution")
    func narrowDistribution() {
        var random = RoutingTestRandom(seed: 7)
        var estimator = TTFTEstimator()
        var now = TestTime.origin
        for _ in 0..<5_000 {
            now += TestTime.ms(20)
            estimator.record(ttftNanos: random.logNormalNanos(median: 150e6, sigma: 0.1), source: .probe, now: now)
        }
        let estimate = estimator.estimate(now: now)
        #expect(isClose(estimate.p50Nanos, to: 150e6, within: 0.05))
        #expect(isClose(estimate.p90Nanos, to: 150e6 * testExp(0.1281552), within: 0.05))
        #expect(estimate.probeSamples == 5_000)
        #expect(estimate.liveSamples == 0)
    }

    @Test("a step up: the EWMA jumps at once, the level within two samples, p90 within about 5 s of samples")
    func stepUp() {
        var estimator = TTFTEstimator()
        var now = TestTime.origin
        for _ in 0..<600 {
            now += TestTime.ms(100)
            estimator.record(ttftNanos: TestTime.ms(200), source: .live, now: now)
        }
        now += TestTime.ms(100)
        estimator.record(ttftNanos: TestTime.seconds(1), source: .live, now: now)
        var estimate = estimator.estimate(now: now)
        #expect(estimate.ewmaNanos == TestTime.seconds(1))
        // One slow sample moves neither the quantiles nor the level by much.
        #expect(estimate.p90Nanos < TestTime.ms(230))
        #expect(estimate.recentNanos < TestTime.ms(210))
        #expect(estimate.meanNanos < TestTime.ms(230))

        // The second is a change: the level restarts from the two slow samples.
        now += TestTime.ms(100)
        estimator.record(ttftNanos: TestTime.seconds(1), source: .live, now: now)
        estimate = estimator.estimate(now: now)
        #expect(isClose(estimate.recentNanos, to: 1e9, within: 0.02))
        #expect(estimate.meanNanos >= estimate.recentNanos)
        #expect(estimate.p50Nanos < TestTime.ms(230))

        var samplesUntilP90Follows = 2
        while estimator.estimate(now: now).p90Nanos < TestTime.ms(900), samplesUntilP90Follows < 1_000 {
            now += TestTime.ms(100)
            estimator.record(ttftNanos: TestTime.seconds(1), source: .live, now: now)
            samplesUntilP90Follows += 1
        }
        // p90 moves once 10 % of the weight is new: at most 30 s x log2(1/0.9) = 4.6 s (46 samples at 10 per
        // second) against a long history, sooner against this one-minute history.
        #expect(samplesUntilP90Follows <= 46)
        #expect(samplesUntilP90Follows >= 10)
        // The level stays with the new regime.
        #expect(isClose(estimator.estimate(now: now).recentNanos, to: 1e9, within: 0.02))
    }

    @Test("a deployment probed every 5 s that turns fast is seen at its first fast probe")
    func stepDownFromProbes() {
        var random = RoutingTestRandom(seed: 5)
        var estimator = TTFTEstimator()
        var now = TestTime.origin
        // Two minutes of probes at 150 ms +- 20 ms (about 13 %).
        for _ in 0..<24 {
            now += TestTime.seconds(5)
            estimator.record(ttftNanos: random.logNormalNanos(median: 150e6, sigma: 0.13), source: .probe, now: now)
        }
        #expect(isClose(estimator.estimate(now: now).meanNanos, to: 150e6, within: 0.15))
        now += TestTime.seconds(5)
        estimator.record(ttftNanos: TestTime.ms(40), source: .probe, now: now)
        let estimate = estimator.estimate(now: now)
        #expect(isClose(estimate.recentNanos, to: 40e6, within: 0.02))
        #expect(estimate.meanNanos < TestTime.ms(50))
        // The quantiles, with their longer memory, still remember the old regime.
        #expect(estimate.p50Nanos > TestTime.ms(120))
    }

    @Test("noise is not a change: a heavy-tailed deployment's level stays near its mean, probes or live traffic")
    func noiseIsNotAChange() {
        let median = 60e6
        let mean = median * testExp(0.5)  // log-normal, sigma 1: 98.9 ms
        for (interval, seed) in [(TestTime.seconds(5), UInt64(11)), (TestTime.ms(100), 12)] {
            var random = RoutingTestRandom(seed: seed)
            var estimator = TTFTEstimator()
            var now = TestTime.origin
            var below80 = 0
            var checks = 0
            var sum = 0.0
            // An hour of probes, or ten minutes of live traffic.
            let count = interval == TestTime.seconds(5) ? 720 : 6_000
            for step in 0..<count {
                now += interval
                estimator.record(ttftNanos: random.logNormalNanos(median: median, sigma: 1), source: .probe, now: now)
                guard step >= 10 else { continue }
                let estimate = estimator.estimate(now: now)
                if estimate.meanNanos < TestTime.ms(80) { below80 += 1 }
                sum += Double(estimate.meanNanos)
                checks += 1
            }
            // On average close to the true mean; and rarely below a steady 80 ms provider, so the choice between
            // the two does not flap (a handful of probes is a small sample of a heavy tail).
            #expect(abs(sum / Double(checks) - mean) < 0.2 * mean, "sampled every \(interval / 1_000_000) ms")
            let share = Double(below80) / Double(checks)
            #expect(share < (interval == TestTime.seconds(5) ? 0.3 : 0.02), "sampled every \(interval / 1_000_000) ms: \(share)")
        }
    }

    @Test("after a transient spike the EWMA returns near the base within a few decay times")
    func spikeDecays() {
        var estimator = TTFTEstimator()
        var now = TestTime.origin
        let base = TestTime.ms(200)
        for _ in 0..<300 {
            now += TestTime.ms(100)
            estimator.record(ttftNanos: base, source: .live, now: now)
        }
        now += TestTime.ms(100)
        estimator.record(ttftNanos: TestTime.seconds(5), source: .live, now: now)
        let spikeAt = now
        var seenAfterOneSecond = false
        while now < spikeAt + TestTime.seconds(50) {
            now += TestTime.ms(100)
            estimator.record(ttftNanos: base, source: .live, now: now)
            if !seenAfterOneSecond, now >= spikeAt + TestTime.seconds(1) {
                seenAfterOneSecond = true
                #expect(estimator.estimate(now: now).ewmaNanos > TestTime.seconds(4))
            }
        }
        let estimate = estimator.estimate(now: now)
        // Five decay times: 200 ms + 4.8 s x e^-5 = 232 ms.
        #expect(Double(estimate.ewmaNanos) < Double(base) * 1.2)
        #expect(estimate.p50Nanos < TestTime.ms(220))
    }

    @Test("the Peak-EWMA rises with traffic volume, the level does not (why ranking uses the latter)")
    func volumeBias() {
        var random = RoutingTestRandom(seed: 2024)
        var busy = TTFTEstimator()
        var quiet = TTFTEstimator()
        let median = 500e6
        var busyEWMA = 0.0
        var quietEWMA = 0.0
        var busyRecent = 0.0
        var checkpoints = 0.0
        // Ten minutes of the same distribution: 10 samples a second on one, one every 30 s on the other.
        for step in 1...6_000 {
            let now = TestTime.origin + UInt64(step) * TestTime.ms(100)
            busy.record(ttftNanos: random.logNormalNanos(median: median, sigma: 0.5), source: .live, now: now)
            if step % 300 == 0 {
                quiet.record(ttftNanos: random.logNormalNanos(median: median, sigma: 0.5), source: .probe, now: now)
            }
            if step > 600, step % 10 == 0 {
                busyEWMA += Double(busy.estimate(now: now).ewmaNanos)
                quietEWMA += Double(quiet.estimate(now: now).ewmaNanos)
                busyRecent += Double(busy.estimate(now: now).recentNanos)
                checkpoints += 1
            }
        }
        busyEWMA /= checkpoints
        quietEWMA /= checkpoints
        busyRecent /= checkpoints
        // The busy one's Peak-EWMA sits near its p90 (1.9 x the median): max(p50, ewma) would rank it far worse
        // than an identical quiet deployment, pushing traffic away from whichever deployment is busiest.
        #expect(busyEWMA > 1.5 * median)
        #expect(busyEWMA > 1.3 * quietEWMA)
        #expect(abs(busyRecent - median) < 0.1 * median)
    }

    @Test("confidence falls with the age of the newest sample and is 0 without samples")
    func staleness() {
        var estimator = TTFTEstimator()
        var now = TestTime.origin
        for _ in 0..<20 {
            now += TestTime.ms(500)
            estimator.record(ttftNanos: TestTime.ms(300), source: .probe, now: now)
        }
        let fresh = estimator.estimate(now: now)
        #expect(fresh.confidence > 0.9)
        #expect(fresh.newestSampleAgeNanos == 0)

        var previous = fresh.confidence
        for seconds in [10.0, 30, 45, 60, 120, 300, 900] {
            let later = estimator.estimate(now: now + TestTime.seconds(seconds))
            #expect(later.newestSampleAgeNanos == TestTime.seconds(seconds))
            #expect(later.confidence < previous)
            previous = later.confidence
            // The times themselves stay as they were: a silent deployment does not look faster.
            #expect(later.p50Nanos == fresh.p50Nanos)
            #expect(later.ewmaNanos == fresh.ewmaNanos)
        }
        #expect(previous < 0.01)
    }

    @Test("confidence grows with the number of samples")
    func confidenceGrowsWithSamples() {
        var estimator = TTFTEstimator()
        let now = TestTime.origin
        var confidences: [Double] = []
        for _ in 0..<10 {
            estimator.record(ttftNanos: TestTime.ms(250), source: .live, now: now)
            confidences.append(estimator.estimate(now: now).confidence)
        }
        #expect(confidences == confidences.sorted())
        #expect(abs(confidences[2] - 0.5) < 1e-9)  // 3 samples = halfConfidenceWeight
        #expect(confidences[9] > 0.89)
    }

    @Test("effective weight halves every half-life")
    func effectiveWeightDecays() {
        var estimator = TTFTEstimator()
        for _ in 0..<8 { estimator.record(ttftNanos: TestTime.ms(100), source: .live, now: TestTime.origin) }
        #expect(abs(estimator.estimate(now: TestTime.origin).effectiveWeight - 8) < 1e-9)
        #expect(abs(estimator.estimate(now: TestTime.origin + TestTime.seconds(30)).effectiveWeight - 4) < 1e-9)
        #expect(abs(estimator.estimate(now: TestTime.origin + TestTime.seconds(90)).effectiveWeight - 1) < 1e-9)
    }

    @Test("old samples lose their say in the quantiles")
    func oldSamplesFade() {
        var estimator = TTFTEstimator()
        var now = TestTime.origin
        for _ in 0..<100 {
            now += TestTime.ms(100)
            estimator.record(ttftNanos: TestTime.seconds(2), source: .live, now: now)
        }
        // Ten minutes later a handful of fast samples outweigh 100 slow ones (2^-10 each).
        now += TestTime.seconds(600)
        for _ in 0..<5 {
            now += TestTime.ms(100)
            estimator.record(ttftNanos: TestTime.ms(100), source: .live, now: now)
        }
        let estimate = estimator.estimate(now: now)
        #expect(estimate.p90Nanos < TestTime.ms(120))
        #expect(estimate.sampleCount == 105)
    }

    @Test("hours of samples keep exact quantiles and a finite weight (the lazy decay rescales)")
    func longRun() {
        var random = RoutingTestRandom(seed: 99)
        var estimator = TTFTEstimator()
        var now = TestTime.origin
        for _ in 0..<(3 * 3_600) {
            now += TestTime.seconds(1)
            estimator.record(ttftNanos: random.logNormalNanos(median: 400e6, sigma: 0.3), source: .live, now: now)
        }
        let estimate = estimator.estimate(now: now)
        #expect(isClose(estimate.p50Nanos, to: 400e6, within: 0.10))
        // One sample a second with a 30 s half-life weighs 1 / (1 - 2^(-1/30)) = 43.8.
        #expect(abs(estimate.effectiveWeight - 43.8) < 1)
        #expect(isClose(estimate.meanNanos, to: 400e6 * testExp(0.045), within: 0.10))
    }

    @Test("samples outside 1 ms..300 s count at the edges")
    func clampsToRange() {
        var fast = TTFTEstimator()
        fast.record(ttftNanos: 100_000, source: .live, now: TestTime.origin)
        #expect(fast.estimate(now: TestTime.origin).p50Nanos <= TestTime.ms(1.2))
        #expect(fast.estimate(now: TestTime.origin).ewmaNanos == 100_000)

        var slow = TTFTEstimator()
        slow.record(ttftNanos: TestTime.seconds(1_000), source: .live, now: TestTime.origin)
        #expect(slow.estimate(now: TestTime.origin).p99Nanos <= TestTime.seconds(300))

        var zero = TTFTEstimator()
        zero.record(ttftNanos: 0, source: .live, now: TestTime.origin)
        #expect(zero.estimate(now: TestTime.origin).hasData)
    }

    @Test("samples reported out of order do not move time backwards")
    func outOfOrder() {
        var estimator = TTFTEstimator()
        estimator.record(ttftNanos: TestTime.ms(300), source: .live, now: TestTime.origin + TestTime.seconds(10))
        estimator.record(ttftNanos: TestTime.ms(100), source: .live, now: TestTime.origin)
        let estimate = estimator.estimate(now: TestTime.origin + TestTime.seconds(10))
        #expect(estimate.newestSampleAgeNanos == 0)
        // No time passed between them as far as the EWMA knows, so the faster sample moves it nowhere.
        #expect(estimate.ewmaNanos == TestTime.ms(300))
        #expect(estimate.sampleCount == 2)
    }
}
