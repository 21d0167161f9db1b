import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the connections of one event loop share: the frame clock that wakes their streams, and the current
/// second with its `date` header, rendered once per second rather than once per response.
///
/// Confined to its event loop: the server hands each connection the instance of the loop it runs on.
final class LoopResources {
    let clock: FrameClock<SimulatorConnection>
    private var second = 0
    private var dateLine: [UInt8] = []

    init(eventLoop: any EventLoop) {
        clock = FrameClock(eventLoop: eventLoop)
    }

    /// Seconds since 1970 (the `created` field of answers).
    var epochSeconds: Int {
        refresh()
        return second
    }

    /// `date: <IMF-fixdate>\r\n`, as Hummingbird sent it.
    var dateHeaderLine: [UInt8] {
        refresh()
        return dateLine
    }

    private func refresh() {
        let now = time(nil)
        guard now != second || dateLine.isEmpty else { return }
        second = now
        dateLine = Array("date: \(Self.imfFixdate(now))\r\n".utf8)
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 9110's date format, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func imfFixdate(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(1900 + parts.tm_year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
