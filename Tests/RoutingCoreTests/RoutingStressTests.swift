import RoutingCore
import Testing

/// Many tasks at once on the shared, lock-free parts: the hedge budget and the decision over read-only inputs.
/// Run under `swift test --sanitize=thread` as well.
@Suite("Routing under concurrency", .timeLimit(.minutes(5)))
struct RoutingStressTests {
    @Test("the hedge budget holds its bound under contention")
    func hedgeBudgetContention() async {
        let budget = HedgeBudget()
        let tasks = 8
        let requestsPerTask = 20_000
        let granted = await withTaskGroup(of: Int.self, returning: Int.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var granted = 0
                    for _ in 0..<requestsPerTask {
                        budget.noteRequest()
                        if budget.tryAcquireHedge() { granted += 1 }
                    }
                    return granted
                }
            }
            return await group.reduce(0, +)
        }
        let requests = Double(tasks * requestsPerTask)
        #expect(Double(granted) <= 0.05 * requests + 10)
        #expect(Double(granted) >= 0.05 * requests - Double(tasks))
    }

    @Test("decisions over shared inputs agree from every task")
    func sharedDecisions() async {
        var fixture = DecisionFixture()
        var random = RoutingTestRandom(seed: 11)
        for index in 0..<24 {
            fixture.add(
                "provider-\(index)", p50Ms: index % 7 == 0 ? nil : 100 + Double(random.next() % 900),
                confidence: Double(random.next() % 100) / 100,
                availability: index % 5 == 0
                    ? .unavailable(until: 10) : (index % 6 == 0 ? .trialAvailable : .available),
                inFlight: Int(random.next() % 8), capacity: index % 3 == 0 ? 4 : nil, price: Double(random.next() % 5))
        }
        let candidates = fixture.candidates
        let control = RouteControl.test(#"{"ignore": ["provider-3"], "order": ["provider-9"], "max_ttft_ms": 900}"#)
        let expected = fixture.rank(control: control).ranked.map(\.candidate)
        #expect(expected.count > 10)

        let mismatches = await withTaskGroup(of: Int.self, returning: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mismatches = 0
                    var output = [RankedCandidate](
                        repeating: RankedCandidate(candidate: -1, scoreNanos: 0), count: candidates.count)
                    for _ in 0..<2_000 {
                        let outcome = candidates.withUnsafeBufferPointer { input in
                            output.withUnsafeMutableBufferPointer { ranked in
                                RoutingDecision.rank(input, objective: .ttftP50, control: control, into: ranked)
                            }
                        }
                        if output.prefix(outcome.count).map(\.candidate) != expected { mismatches += 1 }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
