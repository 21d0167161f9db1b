import NIOCore
import NIOEmbedded
import Testing

@testable import EdgeRouter

/// The reader's side of an upstream call: what async-http-client's callbacks queue comes out in order, once, and a
/// reader that waits is woken by the next step, a cancel, or its task's cancellation.
@Suite("Upstream call: the queue between the event loop and the reader")
struct UpstreamCallTests {
    static func call() throws -> UpstreamCall {
        let catalog = try ConfigurationLoader.parse(yaml: DemoConfiguration.yaml(routerPort: 8080, simPorts: [1, 2, 3]), environment: [:])
        let deployment = try #require(catalog.models.first?.deployments.first)
        return UpstreamCall(deployment: deployment, inFlight: nil) { _ in }
    }

    static func frame(_ text: String) -> UpstreamFrame {
        UpstreamFrame(payload: Array(text.utf8), events: [.text(choice: 0, text: text)], isUsageOnly: false)
    }

    static func describe(_ step: UpstreamCall.Step) -> String {
        switch step {
        case .frame(let frame): String(decoding: frame.payload, as: UTF8.self)
        case .done: "done"
        case .failed(let failure): "failed: \(failure.detail)"
        case .cancelled: "cancelled"
        }
    }

    @Test("steps come out in order; nothing after the terminal step")
    func order() async throws {
        let call = try Self.call()
        call.push(.frame(Self.frame("a")))
        call.push(.frame(Self.frame("b")))
        call.push(.done)
        call.push(.frame(Self.frame("late")))
        call.push(.failed(AttemptFailure(.connection, deployment: "d", detail: "late")))
        var seen: [String] = []
        for _ in 0..<3 { seen.append(Self.describe(await call.next())) }
        #expect(seen == ["a", "b", "done"])
        #expect(call.isClosed)
    }

    @Test("a waiting reader gets the next step")
    func waitingReader() async throws {
        let call = try Self.call()
        async let step = call.next()
        call.push(.frame(Self.frame("x")))
        #expect(Self.describe(await step) == "x")
    }

    @Test("cancel wakes a waiting reader; steps queued before it are dropped")
    func cancelWakesReader() async throws {
        let call = try Self.call()
        async let step = call.next()
        call.cancel()
        #expect(Self.describe(await step) == "cancelled")

        let queued = try Self.call()
        queued.push(.frame(Self.frame("dropped")))
        queued.cancel()
        #expect(Self.describe(await queued.next()) == "cancelled")
    }

    @Test("a stream that ended is read to its end even if cancelled afterwards")
    func cancelAfterEnd() async throws {
        let call = try Self.call()
        call.push(.frame(Self.frame("a")))
        call.push(.done)
        call.cancel()
        #expect(Self.describe(await call.next()) == "a")
        #expect(Self.describe(await call.next()) == "done")
    }

    @Test("cancelling the reading task ends the read")
    func taskCancellation() async throws {
        let call = try Self.call()
        let reader = Task { await call.next() }
        reader.cancel()
        #expect(Self.describe(await reader.value) == "cancelled")
    }

    @Test("the receiver pauses when the reader falls behind and goes on once it caught up")
    func backpressure() async throws {
        let call = try Self.call()
        let loop = EmbeddedEventLoop()
        for index in 0..<(UpstreamCall.Queue.pauseAt - 1) { call.push(.frame(Self.frame("\(index)"))) }
        var resumed = false
        call.backpressure(on: loop).whenSuccess { resumed = true }
        #expect(resumed, "below the limit the receiver goes on at once")

        call.push(.frame(Self.frame("full")))
        resumed = false
        call.backpressure(on: loop).whenSuccess { resumed = true }
        #expect(!resumed)
        for _ in 0..<(UpstreamCall.Queue.pauseAt - UpstreamCall.Queue.resumeAt - 1) { _ = await call.next() }
        #expect(!resumed, "still more than \(UpstreamCall.Queue.resumeAt) queued")
        _ = await call.next()
        #expect(resumed)
    }

    @Test("a cancel also lets a paused receiver go on")
    func cancelEndsPause() async throws {
        let call = try Self.call()
        let loop = EmbeddedEventLoop()
        for index in 0..<UpstreamCall.Queue.pauseAt { call.push(.frame(Self.frame("\(index)"))) }
        var resumed = false
        call.backpressure(on: loop).whenSuccess { resumed = true }
        #expect(!resumed)
        call.cancel()
        #expect(resumed)
    }
}
