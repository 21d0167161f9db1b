import Testing

@Suite("A hanging provider costs a handful of requests, not the first-token timeout", .serialized)
struct HangDetectionTests {
    @Test(
        "one of three providers hangs under 10 requests a second for 8 s: no errors, at most 8 of 80 requests take more than 2 x its p99",
        // The defaults (first_token_ms 30000, idle_ms 60000), the demo's (2000, 10000), and the defaults without
        // hedging, where hang detection alone moves the requests.
        arguments: [(30_000, 60_000, nil), (2_000, 10_000, nil), (30_000, 60_000, "off")] as [(Int, Int, String?)])
    func hangCostsAHandful(firstTokenMs: Int, idleMs: Int, hedge: String?) async throws {
        let outcome = try await HangScenario(firstTokenMs: firstTokenMs, idleMs: idleMs, hedge: hedge).run()
        print("hang scenario, first_token_ms \(firstTokenMs), idle_ms \(idleMs), hedge \(hedge ?? "default"): \(outcome)")
        #expect(outcome.latenciesMs.count == 80)
        #expect(outcome.errors == 0)
        #expect(outcome.slow <= 8, "\(outcome)")
        // Nobody waits for the first-token timeout.
        #expect(outcome.maxMs < Double(firstTokenMs) * 0.9, "\(outcome)")
    }
}
