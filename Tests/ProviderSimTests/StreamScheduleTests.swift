import NIOCore
@testable import ProviderSim
import Testing

@Suite("Stream schedule", .timeLimit(.minutes(5)))
struct StreamScheduleTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func at(_ milliseconds: Int64) -> NIODeadline { start + .milliseconds(milliseconds) }

    @Test("tokens come at ttft + gap × index, the closing frames with the last one")
    func timing() {
        var schedule = StreamSchedule(start: Self.start, ttft: .milliseconds(60), gap: .milliseconds(20), tokens: 3, cutAfterTokens: nil)
        #expect(schedule.firstDeadline == Self.at(60))
        #expect(schedule.advance(to: Self.at(59)) == .init(tokens: 0..<0, then: .wait(until: Self.at(60))))
        #expect(schedule.advance(to: Self.at(60)) == .init(tokens: 0..<1, then: .wait(until: Self.at(80))))
        #expect(schedule.advance(to: Self.at(95)) == .init(tokens: 1..<2, then: .wait(until: Self.at(100))))
        #expect(schedule.advance(to: Self.at(100)) == .init(tokens: 2..<3, then: .finish))
    }

    @Test("a late wake-up sends everything due at once")
    func late() {
        var schedule = StreamSchedule(start: Self.start, ttft: .milliseconds(10), gap: .milliseconds(10), tokens: 5, cutAfterTokens: nil)
        #expect(schedule.advance(to: Self.at(35)) == .init(tokens: 0..<3, then: .wait(until: Self.at(40))))
        #expect(schedule.advance(to: Self.at(1000)) == .init(tokens: 3..<5, then: .finish))
    }

    @Test("no gap: every token at the TTFT")
    func zeroGap() {
        var schedule = StreamSchedule(start: Self.start, ttft: .zero, gap: .zero, tokens: 16, cutAfterTokens: nil)
        #expect(schedule.advance(to: Self.start) == .init(tokens: 0..<16, then: .finish))
    }

    @Test("no tokens: the closing frames at the TTFT")
    func noTokens() {
        var schedule = StreamSchedule(start: Self.start, ttft: .milliseconds(5), gap: .milliseconds(20), tokens: 0, cutAfterTokens: nil)
        #expect(schedule.firstDeadline == Self.at(5))
        #expect(schedule.advance(to: Self.at(4)) == .init(tokens: 0..<0, then: .wait(until: Self.at(5))))
        #expect(schedule.advance(to: Self.at(5)) == .init(tokens: 0..<0, then: .finish))
    }

    @Test("a cut comes when the token it replaces is due, after the tokens before it")
    func cut() {
        var schedule = StreamSchedule(start: Self.start, ttft: .milliseconds(10), gap: .milliseconds(10), tokens: 8, cutAfterTokens: 2)
        #expect(schedule.advance(to: Self.at(20)) == .init(tokens: 0..<2, then: .wait(until: Self.at(30))))
        #expect(schedule.advance(to: Self.at(30)) == .init(tokens: 2..<2, then: .cut))

        var atOnce = StreamSchedule(start: Self.start, ttft: .milliseconds(10), gap: .zero, tokens: 8, cutAfterTokens: 0)
        #expect(atOnce.advance(to: Self.at(9)) == .init(tokens: 0..<0, then: .wait(until: Self.at(10))))
        #expect(atOnce.advance(to: Self.at(10)) == .init(tokens: 0..<0, then: .cut))
    }

    @Test("a cut at or past the last token never happens")
    func cutPastTheEnd() {
        var schedule = StreamSchedule(start: Self.start, ttft: .zero, gap: .zero, tokens: 3, cutAfterTokens: 3)
        #expect(schedule.advance(to: Self.start) == .init(tokens: 0..<3, then: .finish))
    }
}
