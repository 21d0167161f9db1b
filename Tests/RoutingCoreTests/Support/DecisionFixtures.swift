import RoutingCore

/// Builds candidate views and runs the decision over them, naming candidates by provider for readable tests.
struct DecisionFixture {
    var names: [String] = []
    var candidates: [CandidateView] = []

    /// Adds a candidate; `p50Ms` nil means no data at all. The recent median defaults to p50 and the expected
    /// TTFT to the recent median (a steady provider).
    mutating func add(
        _ provider: String,
        p50Ms: Double?,
        p90Ms: Double? = nil,
        recentMs: Double? = nil,
        meanMs: Double? = nil,
        confidence: Double = 1,
        availability: CircuitBreaker.Availability = .available,
        inFlight: Int = 0,
        capacity: Int? = nil,
        price: Double = 1,
        retryAt: UInt64? = nil
    ) {
        let estimate: TTFTEstimate
        if let p50Ms {
            let p90 = p90Ms ?? p50Ms * 1.5
            estimate = TTFTEstimate(
                ewmaNanos: TestTime.ms(p90), recentNanos: TestTime.ms(recentMs ?? p50Ms),
                meanNanos: TestTime.ms(meanMs ?? recentMs ?? p50Ms), p50Nanos: TestTime.ms(p50Ms),
                p90Nanos: TestTime.ms(p90), p99Nanos: TestTime.ms(p90 * 1.5), sampleCount: 100, liveSamples: 80,
                probeSamples: 20, newestSampleAgeNanos: 0, effectiveWeight: 50, confidence: confidence)
        } else {
            estimate = .none
        }
        names.append(provider)
        candidates.append(
            CandidateView(
                deploymentIndex: Int32(candidates.count), providerHash: ProviderIDHash.hash(of: provider),
                ttft: estimate, availability: availability, inFlight: inFlight, capacity: capacity,
                pricePerMillion: price, retryAtNanos: retryAt))
    }

    /// The decision's result, as provider names, the outcome and the raw entries.
    struct Result {
        var providers: [String]
        var outcome: RoutingDecision.Outcome
        var ranked: [RankedCandidate]
    }

    func rank(
        objective: Objective = .defaultObjective,
        control: RouteControl = .none,
        configuration: RoutingDecision.Configuration = .init(),
        explorationDraw: UInt64? = nil
    ) -> Result {
        var output = [RankedCandidate](
            repeating: RankedCandidate(candidate: -1, scoreNanos: 0), count: candidates.count)
        let outcome = candidates.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { ranked in
                RoutingDecision.rank(
                    input, objective: objective, control: control, configuration: configuration,
                    explorationDraw: explorationDraw, into: ranked)
            }
        }
        let ranked = Array(output.prefix(outcome.count))
        return Result(providers: ranked.map { names[Int($0.candidate)] }, outcome: outcome, ranked: ranked)
    }
}

extension RouteControl {
    /// Parses a header known to be valid in a test.
    static func test(_ header: String) -> RouteControl {
        do {
            return try RouteControl(header: header)
        } catch {
            fatalError("bad test header \(header): \(error)")
        }
    }
}
