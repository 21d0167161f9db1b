@testable import EdgeRouter
import NIOCore
import Testing

@Suite("ReadTimeline: what a connection waits for, and until when")
struct ReadTimelineTests {
    static let limits = ConnectionLimits(headerRead: .seconds(10), bodyRead: .seconds(30), idle: .seconds(60))
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test("a new connection is idle until idle_ms; its first byte gives the head header_read_ms")
    func idleThenHead() {
        var timeline = ReadTimeline(limits: Self.limits, now: Self.start)
        #expect(timeline.phase == .betweenRequests && timeline.timeout == .idle)
        #expect(timeline.deadline == Self.start + .seconds(60))
        timeline.bytesArrived(now: Self.start + .seconds(1))
        #expect(timeline.timeout == .header && timeline.deadline == Self.start + .seconds(11))
        // More bytes of the same head do not move its deadline.
        timeline.bytesArrived(now: Self.start + .seconds(5))
        #expect(timeline.deadline == Self.start + .seconds(11))
    }

    @Test("a head gives the body body_read_ms; a read request waits for its answer with no deadline")
    func bodyThenAnswer() {
        var timeline = ReadTimeline(limits: Self.limits, now: Self.start)
        timeline.bytesArrived(now: Self.start)
        timeline.headReceived(now: Self.start + .seconds(2))
        #expect(timeline.timeout == .body && timeline.deadline == Self.start + .seconds(32))
        timeline.requestEnded()
        #expect(timeline.deadline == nil && timeline.unanswered == 1)
        timeline.answerEnded(now: Self.start + .seconds(300))
        #expect(timeline.timeout == .idle && timeline.deadline == Self.start + .seconds(360))
    }

    @Test("with a pipelined request begun, an answer's end leaves that request's deadline in place")
    func pipelined() {
        var timeline = ReadTimeline(limits: Self.limits, now: Self.start)
        timeline.headReceived(now: Self.start)
        timeline.requestEnded()
        timeline.bytesArrived(now: Self.start + .seconds(1))
        timeline.answerEnded(now: Self.start + .seconds(2))
        #expect(timeline.timeout == .header && timeline.deadline == Self.start + .seconds(11))
        timeline.headReceived(now: Self.start + .seconds(3))
        timeline.headRefused()
        #expect(timeline.unanswered == 0)
    }
}
