import NIOCore
import Testing

@testable import EdgeRouter

/// The upstream stream's clock, driven by hand: idleness counts only while reading, the stream's length leaves
/// out paused time, and a pause past the stall limit is the client's.
@Suite("Stream watch: provider idleness, stream length, client stalls")
struct StreamWatchTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func watch() -> StreamWatch {
        StreamWatch(idle: .seconds(1), stream: .seconds(10), clientStall: .seconds(5), now: start)
    }

    static func at(_ millis: Int64) -> NIODeadline { start + .milliseconds(millis) }

    @Test("silence while reading is idleness at the idle limit; each read starts the idle clock again")
    func idle() {
        var watch = Self.watch()
        #expect(watch.check(at: Self.at(999)) == .fine)
        #expect(watch.check(at: Self.at(1000)) == .idle)
        watch.read(at: Self.at(900))
        #expect(watch.check(at: Self.at(1800)) == .fine)
        #expect(watch.nextCheck == Self.at(1900))
        #expect(watch.check(at: Self.at(1900)) == .idle)
    }

    @Test("a pause for the client is not idleness, however long, until the stall limit; resuming restarts the idle clock")
    func pauseIsNotIdle() {
        var watch = Self.watch()
        watch.pause(at: Self.at(500))
        #expect(watch.isPaused)
        #expect(watch.check(at: Self.at(4000)) == .fine)
        #expect(watch.nextCheck == Self.at(5500))
        watch.resume(at: Self.at(4000))
        #expect(watch.check(at: Self.at(4900)) == .fine)
        #expect(watch.check(at: Self.at(5000)) == .idle)
    }

    @Test("a pause that lasts the stall limit is a client stall")
    func stall() {
        var watch = Self.watch()
        watch.pause(at: Self.at(100))
        watch.pause(at: Self.at(3000))  // still the same pause
        #expect(watch.check(at: Self.at(5099)) == .fine)
        #expect(watch.check(at: Self.at(5100)) == .clientStalled)
    }

    @Test("the stream's length leaves out time paused for the client")
    func streamLength() {
        var watch = Self.watch()
        for millis in stride(from: Int64(500), through: 9500, by: 500) { watch.read(at: Self.at(millis)) }
        #expect(watch.check(at: Self.at(9900)) == .fine)
        #expect(watch.check(at: Self.at(10_000)) == .streamTooLong)
        var paused = Self.watch()
        paused.pause(at: Self.at(1000))
        paused.resume(at: Self.at(4000))
        for millis in stride(from: Int64(4500), through: 12_500, by: 500) { paused.read(at: Self.at(millis)) }
        #expect(paused.check(at: Self.at(12_900)) == .fine)
        #expect(paused.nextCheck == Self.at(13_000))
        #expect(paused.check(at: Self.at(13_000)) == .streamTooLong)
    }
}
