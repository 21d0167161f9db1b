/// Ranks a model's deployments for one request: a pure function over values the caller copied in, writing into a
/// buffer the caller provides. It takes no lock and allocates nothing.
///
/// Filters, in order: the client's `only` and `ignore`; `max_ttft_ms` against the objective's TTFT (candidates
/// with no data pass); then the breaker (``CircuitBreaker/Availability/unavailable(until:)`` is left out, a
/// trial is kept, ranked by its estimate and flagged ``RankedCandidate/isTrial``).
///
/// Score, lower is better, in nanoseconds:
/// - the objective's TTFT `t`, from the estimate's level (see ``TTFTEstimator``: a log-space mean and variance
///   with a 20 s half-life, restarted within two or three samples when a step change is detected):
///   for ``Objective/ttftMean`` (the default) and ``Objective/price``, the expected TTFT (`mean`), so a low median
///   with a heavy tail ranks behind a steady provider whose mean is lower; for ``Objective/ttftP50``, the recent
///   median (`recent`); for ``Objective/ttftP90``, p90 x recent / p50: the decayed histogram's tail, moved to the
///   level's current median, so a slowdown or a speed-up counts as soon as the level sees it. The Peak-EWMA is
///   deliberately not used: each slow outlier resets it upward, so on a busy deployment it sits near p90 while on
///   a quiet one it sits near p50, which would push traffic away from whichever deployment is busiest (the best
///   one) and make the choice flap.
/// - confidence blend: `c x t + (1 - c) x prior x (1 + explorationPenalty)`, where `c` is the estimate's
///   confidence and `prior` the median `t` of all the model's candidates that have data (`fallbackPriorNanos`
///   when none has). A deployment with no data is neither assumed fast (the optimistic-constant trap) nor
///   ignored: it ranks just behind a typical known one and ahead of known slow ones.
/// - load: x (1 + ((inFlight + 1) / capacity)^loadExponent) for providers that declare a capacity.
///
/// Order: by score (``Objective/price``: by price, then score), then price, then position in the buffer. The
/// client's `order` then moves its providers first, in its order. `allow_fallbacks: false` keeps only the first.
/// When the breakers leave nothing but some candidates were excluded by breakers alone, those are returned
/// sorted by earliest retry time with reason ``RouteReason/panic``; candidates the client excluded, or that
/// exceed `max_ttft_ms`, never come back this way.
public enum RoutingDecision {
    /// Ranks `candidates` into `ranked` (which must hold at least `candidates.count` entries) and returns how many
    /// entries were written and why the first is first.
    ///
    /// - Parameters:
    ///   - objective: the model's objective; the client's `sort` overrides it.
    ///   - explorationDraw: a uniformly random number from the caller, or nil for no exploration; when it falls
    ///     within `explorationShare` the least-known available candidate goes first (reason ``RouteReason/explore``).
    public static func rank(
        _ candidates: UnsafeBufferPointer<CandidateView>,
        objective: Objective,
        control: RouteControl,
        configuration: Configuration = Configuration(),
        explorationDraw: UInt64? = nil,
        into ranked: UnsafeMutableBufferPointer<RankedCandidate>
    ) -> Outcome {
        precondition(ranked.count >= candidates.count, "the output buffer must hold every candidate")
        let objective = objective.overridden(by: control.sort)
        let prior = prior(candidates, objective: objective, configuration: configuration, scratch: ranked)

        var outcome = Outcome(count: 0, reason: .best, excludedByBreaker: 0, excludedByClient: 0, excludedByMaxTTFT: 0)
        // Read once: each copy of a list out of `control` inside the loop would cost a retain and a release.
        let only = control.only
        let ignore = control.ignore
        for index in candidates.indices {
            let candidate = candidates[index]
            if let only, !only.contains(hash: candidate.providerHash) {
                outcome.excludedByClient += 1
                continue
            }
            if ignore.contains(hash: candidate.providerHash) {
                outcome.excludedByClient += 1
                continue
            }
            let typical = typicalTTFT(candidate.ttft, objective: objective)
            if let limit = control.maxTTFTNanos, candidate.ttft.hasData, typical > Double(limit) {
                outcome.excludedByMaxTTFT += 1
                continue
            }
            if case .unavailable = candidate.availability {
                outcome.excludedByBreaker += 1
                continue
            }
            ranked[outcome.count] = RankedCandidate(
                candidate: Int32(truncatingIfNeeded: index),
                scoreNanos: score(candidate, typical: typical, prior: prior, configuration: configuration),
                pricePerMillion: candidate.pricePerMillion,
                orderRank: orderRank(candidate, control: control),
                isTrial: candidate.availability == .trialAvailable)
            outcome.count += 1
        }

        if outcome.count == 0, outcome.excludedByBreaker > 0 {
            outcome.count = panicCandidates(
                candidates, objective: objective, control: control, prior: prior,
                configuration: configuration, into: ranked)
            outcome.reason = .panic
        } else {
            sortByPreference(ranked, count: outcome.count, objective: objective)
            if outcome.count > 0, ranked[0].orderRank != .max {
                outcome.reason = .order
            } else if control.allowFallbacks, let explorationDraw,
                explore(
                    ranked, count: outcome.count, candidates: candidates, draw: explorationDraw,
                    configuration: configuration)
            {
                outcome.reason = .explore
            }
        }
        if !control.allowFallbacks { outcome.count = min(outcome.count, 1) }
        return outcome
    }

    /// The objective's TTFT before blending and load (see the type's documentation).
    @inline(__always)
    public static func typicalTTFT(_ estimate: TTFTEstimate, objective: Objective) -> Double {
        switch objective {
        case .ttftMean, .price:
            return Double(estimate.meanNanos)
        case .ttftP50:
            return Double(estimate.recentNanos)
        case .ttftP90:
            let p50 = Double(estimate.p50Nanos)
            let p90 = Double(estimate.p90Nanos)
            let recent = Double(estimate.recentNanos)
            return p50 > 0 ? p90 * (recent / p50) : max(p90, recent)
        }
    }

    @inline(__always)
    private static func score(
        _ candidate: CandidateView, typical: Double, prior: Double, configuration: Configuration
    ) -> Double {
        let confidence = candidate.ttft.hasData ? min(max(candidate.ttft.confidence, 0), 1) : 0
        let blended = confidence * typical + (1 - confidence) * prior * (1 + configuration.explorationPenalty)
        guard let capacity = candidate.capacity, capacity > 0 else { return blended }
        let utilisation = Double(max(candidate.inFlight, 0) + 1) / Double(capacity)
        // The default cube is worth a fast path: `pow` costs as much as the rest of the score.
        let load =
            configuration.loadExponent == 3
            ? utilisation * utilisation * utilisation : RoutingMath.power(utilisation, configuration.loadExponent)
        return blended * (1 + load)
    }

    @inline(__always)
    private static func orderRank(_ candidate: CandidateView, control: RouteControl) -> Int32 {
        guard !control.order.isEmpty, let position = control.order.position(ofHash: candidate.providerHash) else {
            return .max
        }
        return Int32(truncatingIfNeeded: position)
    }

    /// The median typical TTFT of every candidate with data (whatever its availability, so one open breaker does
    /// not move the prior of the others), using `scratch` to select it.
    private static func prior(
        _ candidates: UnsafeBufferPointer<CandidateView>, objective: Objective, configuration: Configuration,
        scratch: UnsafeMutableBufferPointer<RankedCandidate>
    ) -> Double {
        var count = 0
        for index in candidates.indices where candidates[index].ttft.hasData {
            scratch[count] = RankedCandidate(
                candidate: Int32(truncatingIfNeeded: index),
                scoreNanos: typicalTTFT(candidates[index].ttft, objective: objective))
            count += 1
        }
        guard count > 0 else { return configuration.fallbackPriorNanos }
        let middle = count / 2
        let upper = selectScore(scratch, count: count, rank: middle)
        guard count % 2 == 0 else { return upper }
        // After selection everything below `middle` is no greater than `upper`: the lower middle is their maximum.
        var lower = scratch[0].scoreNanos
        for index in 1..<middle { lower = max(lower, scratch[index].scoreNanos) }
        return (lower + upper) / 2
    }

    /// The `rank`-th smallest score among the first `count` entries (quickselect: linear on average, against the
    /// quadratic of sorting them), leaving smaller scores before it.
    private static func selectScore(
        _ buffer: UnsafeMutableBufferPointer<RankedCandidate>, count: Int, rank: Int
    ) -> Double {
        var low = 0
        var high = count - 1
        while low < high {
            // Median of three as the pivot keeps sorted or reversed inputs from going quadratic.
            let mid = low + (high - low) / 2
            let a = buffer[low].scoreNanos
            let b = buffer[mid].scoreNanos
            let c = buffer[high].scoreNanos
            let pivot = max(min(a, b), min(max(a, b), c))
            var left = low
            var right = high
            while left <= right {
                while buffer[left].scoreNanos < pivot { left += 1 }
                while buffer[right].scoreNanos > pivot { right -= 1 }
                if left <= right {
                    buffer.swapAt(left, right)
                    left += 1
                    right -= 1
                }
            }
            if rank <= right {
                high = right
            } else if rank >= left {
                low = left
            } else {
                break
            }
        }
        return buffer[rank].scoreNanos
    }

    private static func sortByPreference(
        _ ranked: UnsafeMutableBufferPointer<RankedCandidate>, count: Int, objective: Objective
    ) {
        let byPrice = objective == .price
        insertionSort(ranked, count: count) { left, right in
            if left.orderRank != right.orderRank { return left.orderRank < right.orderRank }
            if byPrice, left.pricePerMillion != right.pricePerMillion {
                return left.pricePerMillion < right.pricePerMillion
            }
            if left.scoreNanos != right.scoreNanos { return left.scoreNanos < right.scoreNanos }
            if left.pricePerMillion != right.pricePerMillion { return left.pricePerMillion < right.pricePerMillion }
            return left.candidate < right.candidate
        }
    }

    /// Envoy's panic mode: the candidates left out by their breakers alone, earliest retry time first.
    private static func panicCandidates(
        _ candidates: UnsafeBufferPointer<CandidateView>, objective: Objective, control: RouteControl,
        prior: Double, configuration: Configuration, into ranked: UnsafeMutableBufferPointer<RankedCandidate>
    ) -> Int {
        var count = 0
        for index in candidates.indices {
            let candidate = candidates[index]
            if let only = control.only, !only.contains(hash: candidate.providerHash) { continue }
            if control.ignore.contains(hash: candidate.providerHash) { continue }
            let typical = typicalTTFT(candidate.ttft, objective: objective)
            if let limit = control.maxTTFTNanos, candidate.ttft.hasData, typical > Double(limit) { continue }
            ranked[count] = RankedCandidate(
                candidate: Int32(truncatingIfNeeded: index),
                scoreNanos: score(candidate, typical: typical, prior: prior, configuration: configuration),
                pricePerMillion: candidate.pricePerMillion)
            count += 1
        }
        insertionSort(ranked, count: count) { left, right in
            let leftRetry = retryTime(candidates[Int(left.candidate)])
            let rightRetry = retryTime(candidates[Int(right.candidate)])
            if leftRetry != rightRetry { return leftRetry < rightRetry }
            return left.candidate < right.candidate
        }
        return count
    }

    /// When a candidate may be tried again: its breaker's retry time, else the end of its unavailability.
    @inline(__always)
    private static func retryTime(_ candidate: CandidateView) -> UInt64 {
        if let retryAtNanos = candidate.retryAtNanos { return retryAtNanos }
        if case .unavailable(let until) = candidate.availability { return until }
        return 0
    }

    /// Moves the least-known available candidate first when `draw` falls within the exploration share; returns
    /// whether it did.
    private static func explore(
        _ ranked: UnsafeMutableBufferPointer<RankedCandidate>, count: Int,
        candidates: UnsafeBufferPointer<CandidateView>, draw: UInt64, configuration: Configuration
    ) -> Bool {
        guard count > 1, configuration.explorationShare > 0 else { return false }
        let share = min(configuration.explorationShare, 1)
        // 2^64 x share, compared without overflow: a draw below it happens with probability `share`.
        guard share >= 1 || Double(draw) < share * 18_446_744_073_709_551_616.0 else { return false }
        var chosen = -1
        var lowest = configuration.explorationConfidenceBelow
        for position in 1..<count {
            let candidate = candidates[Int(ranked[position].candidate)]
            // Trials are left to probes and the breaker; exploring spends a user request only on a live deployment.
            guard candidate.availability == .available else { continue }
            let confidence = candidate.ttft.hasData ? candidate.ttft.confidence : 0
            if confidence < lowest {
                lowest = confidence
                chosen = position
            }
        }
        guard chosen > 0 else { return false }
        let explored = ranked[chosen]
        var position = chosen
        while position > 0 {
            ranked[position] = ranked[position - 1]
            position -= 1
        }
        ranked[0] = explored
        return true
    }
}
