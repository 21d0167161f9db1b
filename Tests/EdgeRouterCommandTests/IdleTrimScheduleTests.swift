import Testing

@testable import edge_router

/// When the idle trimmer gives freed heap back (``IdleTrimSchedule``), look by look on a clock the test moves.
@Suite("When idle memory is trimmed")
struct IdleTrimScheduleTests {
    /// One look of the trimmer: `at` seconds after the start, the requests started so far and in flight.
    typealias Look = (at: Int, started: Int, inFlight: Int)

    /// Whether each look trims, for a schedule made at the start with `started` requests already counted.
    func trims(started: Int = 0, _ looks: [Look]) -> [Bool] {
        let start = ContinuousClock.now
        var schedule = IdleTrimSchedule(settle: .seconds(65), started: started)
        return looks.map { schedule.look(started: $0.started, inFlight: $0.inFlight, now: start + .seconds($0.at)) }
    }

    @Test("nothing is trimmed while no request has run since the trimmer started")
    func nothingBeforeRequests() {
        #expect(trims(started: 7, [(5, 7, 0), (500, 7, 0)]) == [false, false])
    }

    @Test("after requests: trimmed at the first look with none in flight, not while one is, then not again at once")
    func firstTrimWaitsForNoneInFlight() {
        #expect(trims([(5, 10, 3), (10, 10, 0), (15, 10, 0)]) == [false, true, false])
    }

    @Test("trimmed once more when 65 s have passed since the last request seen, then never again while idle")
    func secondTrimAfterSettle() {
        #expect(trims([(5, 10, 0), (65, 10, 0), (70, 10, 0), (75, 10, 0), (1000, 10, 0)]) == [true, false, true, false, false])
    }

    @Test("new requests restart the wait: the second trim counts from the look that saw the latest of them")
    func newRequestsRestartTheCycle() {
        #expect(trims([(5, 10, 0), (60, 11, 0), (70, 11, 0), (125, 11, 0)]) == [true, true, false, true])
    }

    @Test("a request in flight at the settle look puts the second trim off to the next look with none")
    func secondTrimWaitsForNoneInFlight() {
        #expect(trims([(5, 10, 0), (70, 10, 1), (75, 10, 0)]) == [true, false, true])
    }
}
