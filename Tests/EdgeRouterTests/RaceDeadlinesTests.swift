@testable import EdgeRouter
import NIOCore
import Testing

/// The deadlines a first-token race keeps for its one timer (``RaceDeadlines``).
@Suite("A race's deadlines behind one timer")
struct RaceDeadlinesTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test("none pending: no earliest deadline and nothing due")
    func empty() {
        var deadlines = RaceDeadlines()
        #expect(deadlines.earliest == nil)
        #expect(deadlines.takeDue(by: Self.start + .hours(1)) == nil)
    }

    @Test("the earliest deadline is the smallest, whatever the order they were added in")
    func earliest() {
        var deadlines = RaceDeadlines()
        deadlines.add(.requestDeadline, at: Self.start + .seconds(30))
        deadlines.add(.firstToken(0), at: Self.start + .seconds(5))
        deadlines.add(.hedge, at: Self.start + .milliseconds(200))
        #expect(deadlines.earliest == Self.start + .milliseconds(200))
    }

    @Test("due events come out earliest first, ties in the order added, each once; later ones stay pending")
    func dueInOrder() {
        var deadlines = RaceDeadlines()
        deadlines.add(.requestDeadline, at: Self.start + .seconds(30))
        deadlines.add(.hangThreshold(0, .milliseconds(300)), at: Self.start + .milliseconds(300))
        deadlines.add(.hedge, at: Self.start + .milliseconds(200))
        deadlines.add(.firstToken(0), at: Self.start + .milliseconds(300))
        let now = Self.start + .milliseconds(300)
        #expect(deadlines.takeDue(by: now) == .hedge)
        #expect(deadlines.takeDue(by: now) == .hangThreshold(0, .milliseconds(300)))
        #expect(deadlines.takeDue(by: now) == .firstToken(0))
        #expect(deadlines.takeDue(by: now) == nil)
        #expect(deadlines.earliest == Self.start + .seconds(30))
        deadlines.add(.firstToken(1), at: Self.start + .seconds(2))
        #expect(deadlines.takeDue(by: Self.start + .seconds(31)) == .firstToken(1))
        #expect(deadlines.takeDue(by: Self.start + .seconds(31)) == .requestDeadline)
        #expect(deadlines.earliest == nil)
    }
}
