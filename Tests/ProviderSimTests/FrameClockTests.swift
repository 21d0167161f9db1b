import NIOCore
import NIOEmbedded
@testable import ProviderSim
import Testing

@Suite("Frame clock", .timeLimit(.minutes(5)))
struct FrameClockTests {
    final class Client: FrameClockClient {
        var frameClockTicket: UInt64?
        var fired: [NIODeadline] = []
        var onFire: (NIODeadline) -> Void = { _ in }

        func frameClockFired(now: NIODeadline) {
            fired.append(now)
            onFire(now)
        }
    }

    @Test("a lone client is woken exactly on time, and again when it asks")
    func onTime() {
        let loop = EmbeddedEventLoop()
        let clock = FrameClock<Client>(eventLoop: loop)
        let client = Client()
        let start = loop.now
        client.onFire = { now in
            if client.fired.count < 3 { clock.schedule(client, at: now + .milliseconds(20)) }
        }
        clock.schedule(client, at: start + .milliseconds(60))
        loop.advanceTime(by: .microseconds(59_999))
        #expect(client.fired.isEmpty)
        loop.advanceTime(by: .milliseconds(100))
        #expect(client.fired == [start + .milliseconds(60), start + .milliseconds(80), start + .milliseconds(100)])
        #expect(clock.pending == 0)
    }

    @Test("clients due within a quantum of the last wake-up share the next one")
    func coalesces() {
        let loop = EmbeddedEventLoop()
        let clock = FrameClock<Client>(eventLoop: loop)
        let (a, b, c) = (Client(), Client(), Client())
        let start = loop.now
        clock.schedule(a, at: start + .milliseconds(10))
        clock.schedule(b, at: start + .microseconds(10_300))
        clock.schedule(c, at: start + .microseconds(10_700))
        loop.advanceTime(by: .milliseconds(20))
        #expect(a.fired == [start + .milliseconds(10)])
        // Never early, at most a quantum late, and together.
        #expect(b.fired == [start + .milliseconds(11)])
        #expect(c.fired == [start + .milliseconds(11)])
    }

    @Test("a cancelled wake-up does not fire, and an idle clock keeps no timer")
    func cancel() {
        let loop = EmbeddedEventLoop()
        let clock = FrameClock<Client>(eventLoop: loop)
        let (a, b) = (Client(), Client())
        let start = loop.now
        clock.schedule(a, at: start + .milliseconds(5))
        clock.schedule(b, at: start + .milliseconds(7))
        clock.cancel(a)
        clock.cancel(a)
        #expect(clock.pending == 1)
        loop.advanceTime(by: .milliseconds(10))
        #expect(a.fired.isEmpty)
        #expect(b.fired == [start + .milliseconds(7)])

        clock.schedule(a, at: loop.now + .milliseconds(5))
        clock.cancel(a)
        #expect(clock.pending == 0)
        loop.advanceTime(by: .milliseconds(10))
        #expect(a.fired.isEmpty)
    }

    @Test("scheduling again replaces the pending wake-up")
    func reschedule() {
        let loop = EmbeddedEventLoop()
        let clock = FrameClock<Client>(eventLoop: loop)
        let client = Client()
        let start = loop.now
        clock.schedule(client, at: start + .milliseconds(50))
        clock.schedule(client, at: start + .milliseconds(5))
        #expect(clock.pending == 1)
        loop.advanceTime(by: .milliseconds(100))
        #expect(client.fired == [start + .milliseconds(5)])
    }

    @Test("many clients in random order fire in deadline order")
    func heapOrder() {
        let loop = EmbeddedEventLoop()
        let clock = FrameClock<Client>(eventLoop: loop)
        let start = loop.now
        var order: [Int] = []
        var generator = SeededRandom(seed: 7)
        let offsets = (0..<500).map { _ in Int64(generator.next() % 1_000) * 10 }
        let clients = offsets.enumerated().map { index, offset in
            let client = Client()
            client.onFire = { _ in order.append(index) }
            clock.schedule(client, at: start + .milliseconds(offset))
            return client
        }
        loop.advanceTime(by: .seconds(20))
        #expect(order.count == clients.count)
        #expect(order.map { offsets[$0] } == offsets.sorted())
    }

    @Test("a backlog is served in batches, each as soon as the loop comes back to it")
    func batches() {
        let loop = EmbeddedEventLoop()
        let clock = FrameClock<Client>(eventLoop: loop)
        let start = loop.now
        let count = FrameClock<Client>.batchLimit * 2 + 10
        let clients = (0..<count).map { _ in Client() }
        for client in clients { clock.schedule(client, at: start + .milliseconds(5)) }
        loop.advanceTime(to: start + .milliseconds(5))
        // Three wake-ups, all at the deadline: the backlog does not wait a quantum between batches.
        #expect(clock.wakeUps == 3)
        #expect(clients.allSatisfy { $0.fired == [start + .milliseconds(5)] })
        #expect(clock.pending == 0)
    }
}
