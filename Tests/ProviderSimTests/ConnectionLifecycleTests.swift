@testable import ProviderSim
import Testing

@Suite("Connection lifecycle", .timeLimit(.minutes(5)))
struct ConnectionLifecycleTests {
    @Test("keep-alive: back to idle after each response")
    func keepAlive() {
        var lifecycle = ConnectionLifecycle()
        let started = lifecycle.requestStarted(keepAlive: true)
        #expect(started)
        lifecycle.requestCompleted()
        #expect(lifecycle.state == .responding)
        #expect(!lifecycle.closesAfterResponse)
        let after = lifecycle.responseCompleted()
        #expect(after == .readNext)
        #expect(lifecycle.state == .idle)
    }

    @Test("Connection: close closes after the response")
    func close() {
        var lifecycle = ConnectionLifecycle()
        _ = lifecycle.requestStarted(keepAlive: false)
        lifecycle.requestCompleted()
        #expect(lifecycle.closesAfterResponse)
        let after = lifecycle.responseCompleted()
        #expect(after == .close)
        #expect(lifecycle.state == .closed)
    }

    @Test("a request pipelined behind a response waits")
    func pipelined() {
        var lifecycle = ConnectionLifecycle()
        _ = lifecycle.requestStarted(keepAlive: true)
        lifecycle.requestCompleted()
        let second = lifecycle.requestStarted(keepAlive: true)
        #expect(!second)
        let after = lifecycle.responseCompleted()
        #expect(after == .readNext)
        let third = lifecycle.requestStarted(keepAlive: true)
        #expect(third)
    }

    @Test("quiescing closes an idle connection at once and a busy one after its response")
    func quiesce() {
        var idle = ConnectionLifecycle()
        let idleAction = idle.quiesce()
        #expect(idleAction == .closeNow)
        #expect(idle.state == .closed)

        var busy = ConnectionLifecycle()
        _ = busy.requestStarted(keepAlive: true)
        busy.requestCompleted()
        let busyAction = busy.quiesce()
        #expect(busyAction == .closeAfterResponse)
        #expect(busy.closesAfterResponse)
        let busyAfter = busy.responseCompleted()
        #expect(busyAfter == .close)

        var receiving = ConnectionLifecycle()
        _ = receiving.requestStarted(keepAlive: true)
        let receivingAction = receiving.quiesce()
        #expect(receivingAction == .closeAfterResponse)
        receiving.requestCompleted()
        let receivingAfter = receiving.responseCompleted()
        #expect(receivingAfter == .close)

        var closed = ConnectionLifecycle()
        closed.closed()
        let closedAction = closed.quiesce()
        #expect(closedAction == .none)
    }
}
