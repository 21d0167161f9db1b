import NIOCore
import NIOEmbedded
import Testing

@testable import EdgeRouter
@testable import EdgeWire
@testable import RoutingCore

/// The reader's side of an upstream call: what the connection's callbacks parse is held until the race's winner
/// attaches its reader, then handed straight on, in order and once; the receiver pauses while the reader is behind.
@Suite("Upstream call: steps between the callbacks and the reader", .timeLimit(.minutes(5)))
struct UpstreamCallTests {
    static func call(loop: EmbeddedEventLoop, onFirstToken: @escaping (UpstreamCall.FirstToken) -> Void = { _ in }) throws -> UpstreamCall {
        let configuration = try ConfigurationLoader.parse(yaml: DemoConfiguration.yaml(routerPort: 8080, simPorts: [1, 2, 3, 4, 5]), environment: [:])
        let deployment = try #require(configuration.models.first?.deployments.first)
        return UpstreamCall(deployment: deployment, eventLoop: loop, inFlight: nil, onFirstToken: onFirstToken)
    }

    static func frame(_ text: String) -> UpstreamFrame {
        UpstreamFrame(payload: Array(text.utf8), events: [.text(choice: 0, text: text)], isUsageOnly: false)
    }

    /// Records what it is given; `backedUp` plays a slow client.
    final class Reader: UpstreamCallReader {
        var seen: [String] = []
        var flushes = 0
        var backedUp = false
        var onStep: ((UpstreamCall) -> Void)?

        func upstreamCall(_ call: UpstreamCall, received step: UpstreamCall.Step) {
            switch step {
            case .frame(let frame): seen.append(String(decoding: frame.payload, as: UTF8.self))
            case .done: seen.append("done")
            case .failed(let failure): seen.append("failed: \(failure.detail)")
            }
            onStep?(call)
        }

        func upstreamCallDidFinishBuffer(_ call: UpstreamCall) { flushes += 1 }
        var isBackedUp: Bool { backedUp }
    }

    @Test("steps are held until the reader attaches, then delivered in order; nothing after the terminal step")
    func holdThenDeliver() throws {
        let loop = EmbeddedEventLoop()
        let call = try Self.call(loop: loop)
        let reader = Reader()
        call.push(.frame(Self.frame("a")))
        call.push(.frame(Self.frame("b")))
        #expect(reader.seen.isEmpty)
        call.attach(reader)
        #expect(reader.seen == ["a", "b"])
        #expect(reader.flushes == 1, "the held steps are flushed as one buffer")
        call.push(.frame(Self.frame("c")))
        call.push(.done)
        call.push(.frame(Self.frame("late")))
        call.push(.failed(AttemptFailure(.connection, deployment: "d", detail: "late")))
        #expect(reader.seen == ["a", "b", "c", "done"])
        #expect(call.isClosed)
    }

    @Test("a cancel drops what is held and stops delivery, even in the middle of the held steps")
    func cancelStopsDelivery() throws {
        let loop = EmbeddedEventLoop()
        let dropped = try Self.call(loop: loop)
        dropped.push(.frame(Self.frame("x")))
        dropped.cancel()
        let reader = Reader()
        dropped.attach(reader)
        #expect(reader.seen.isEmpty)

        let call = try Self.call(loop: loop)
        call.push(.frame(Self.frame("1")))
        call.push(.frame(Self.frame("2")))
        let cancelling = Reader()
        cancelling.onStep = { $0.cancel() }
        call.attach(cancelling)
        #expect(cancelling.seen == ["1"])
        #expect(cancelling.flushes == 0)
    }

    @Test("the first token is reported once, whatever follows")
    func reportOnce() throws {
        let loop = EmbeddedEventLoop()
        var reports: [String] = []
        let call = try Self.call(loop: loop) { outcome in
            switch outcome {
            case .arrived: reports.append("arrived")
            case .failed(let failure): reports.append(failure.detail)
            }
        }
        call.report(.arrived(.init(timeToFirstByte: .milliseconds(1), timeToFirstToken: .milliseconds(2))))
        call.fail(AttemptFailure(.connection, deployment: "d", detail: "broke"))
        #expect(reports == ["arrived"])
    }

    @Test("before a reader attaches the receiver never pauses, however many frames are held; attaching delivers them all")
    func holdNeverPauses() throws {
        let loop = EmbeddedEventLoop()
        let call = try Self.call(loop: loop)
        for index in 0..<1000 {
            call.push(.frame(Self.frame("\(index)")))
            #expect(call.mayReadOn(), "a pause before the first token would stall the stream that is to bring it")
        }
        let reader = Reader()
        call.attach(reader)
        #expect(reader.seen.count == 1000)
    }

    @Test("held frames past a mebibyte before a reader attaches fail the call as malformed")
    func holdByteBound() throws {
        let loop = EmbeddedEventLoop()
        var failure: AttemptFailure?
        let call = try Self.call(loop: loop) { outcome in
            if case .failed(let reported) = outcome { failure = reported }
        }
        let big = String(repeating: "z", count: 64 * 1024)
        for _ in 0..<(UpstreamCall.Inbox.holdByteLimit / big.utf8.count) { call.push(.frame(Self.frame(big))) }
        #expect(failure == nil, "exactly the limit is still held")
        call.push(.frame(Self.frame("one byte too many")))
        #expect(failure?.cause == .malformed)
        #expect(call.isClosed)
    }

    @Test("the receiver pauses while the reader is backed up, until resume or cancel; each burst of reads is flushed")
    func readerBackpressure() throws {
        let loop = EmbeddedEventLoop()
        let call = try Self.call(loop: loop)
        let reader = Reader()
        call.attach(reader)
        #expect(reader.flushes == 1, "the held frames are flushed on attaching")
        reader.backedUp = true
        call.push(.frame(Self.frame("a")))
        #expect(!call.mayReadOn())
        call.finishBurst()
        #expect(reader.flushes == 2, "the burst is flushed before the pause takes effect")
        reader.backedUp = false
        call.resume()
        #expect(call.mayReadOn())

        reader.backedUp = true
        #expect(!call.mayReadOn())
        call.cancel()
        #expect(call.mayReadOn(), "a cancelled call's receiver goes on (to its end)")
    }

    @Test("the inbox: a cancel reports whether the stream was still open")
    func inboxCancel() {
        var open = UpstreamCall.Inbox()
        _ = open.push(.frame(Self.frame("a")))
        let wasOpen = open.cancel()
        #expect(wasOpen)
        #expect(open.isCancelled)

        var ended = UpstreamCall.Inbox()
        _ = ended.push(.done)
        let endedWasOpen = ended.cancel()
        #expect(!endedWasOpen, "an ended stream keeps its connection for the pool")
    }
}
