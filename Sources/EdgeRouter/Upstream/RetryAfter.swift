#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A provider's `Retry-After` header (RFC 9110, section 10.2.3), read without trusting it: whole delta-seconds or
/// an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), clamped to `0...ceiling`; anything else (fractions,
/// exponents, signs, `inf`, `nan`, the obsolete RFC 850 and asctime date forms) is ignored, as if the header were
/// absent.
///
/// A pure function of the header and the wall clock, so it is tested on its own; the breaker applies its own,
/// smaller cap (`maxRateLimitDuration`) on top.
enum RetryAfter {
    /// The longest wait a header can ask for: a day. Bigger numbers (`99999999999999999999`) saturate here
    /// rather than overflow.
    static let ceiling: Duration = .seconds(86_400)

    /// The wait `value` asks for, or nil when it is not a valid `Retry-After`. `nowEpochSeconds` is the wall clock
    /// (seconds since 1970), for dates; a date in the past means no wait.
    static func parse(_ value: some StringProtocol, nowEpochSeconds: Int64) -> Duration? {
        let bytes = Array(value.utf8).trimmingOWS()
        guard let first = bytes.first else { return nil }
        if isDigit(first) {
            return deltaSeconds(bytes)
        }
        guard let date = imfFixdateEpochSeconds(bytes) else { return nil }
        let (wait, overflow) = date.subtractingReportingOverflow(nowEpochSeconds)
        if overflow { return nil }
        return clamp(seconds: wait)
    }

    /// The wait of the header as a provider sent it, measured from now.
    static func parse(_ value: some StringProtocol) -> Duration? {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return parse(value, nowEpochSeconds: Int64(now.tv_sec))
    }

    // MARK: delta-seconds

    private static func deltaSeconds(_ bytes: [UInt8]) -> Duration? {
        var seconds: Int64 = 0
        var saturated = false
        for byte in bytes {
            guard isDigit(byte) else { return nil }
            if saturated { continue }
            let (times10, o1) = seconds.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(byte &- UInt8(ascii: "0")))
            if o1 || o2 { saturated = true } else { seconds = sum }
        }
        return saturated ? ceiling : clamp(seconds: seconds)
    }

    private static func clamp(seconds: Int64) -> Duration {
        let ceilingSeconds = ceiling.components.seconds
        return .seconds(min(max(seconds, 0), ceilingSeconds))
    }

    // MARK: IMF-fixdate

    private static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` (exactly 29 bytes) as seconds since 1970, or nil.
    static func imfFixdateEpochSeconds(_ bytes: [UInt8]) -> Int64? {
        guard bytes.count == 29 else { return nil }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard isDigit(byte) else { return nil }
                value = value * 10 + Int64(byte &- UInt8(ascii: "0"))
            }
            return value
        }
        guard weekdays.contains(text(0..<3)), text(3..<5) == ", ", bytes[7] == UInt8(ascii: " "),
            bytes[11] == UInt8(ascii: " "), bytes[16] == UInt8(ascii: " "), bytes[19] == UInt8(ascii: ":"),
            bytes[22] == UInt8(ascii: ":"), text(25..<29) == " GMT",
            let day = number(5..<7), let monthIndex = months.firstIndex(of: text(8..<11)), let year = number(12..<16),
            let hour = number(17..<19), let minute = number(20..<22), let second = number(23..<25),
            (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        let days = daysFromCivil(year: year, month: Int64(monthIndex) + 1, day: day)
        return days * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`); the year has four
    /// digits here, so nothing can overflow.
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}

extension Array where Element == UInt8 {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    fileprivate func trimmingOWS() -> [UInt8] {
        let isOWS = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let start = firstIndex(where: { !isOWS($0) }), let end = lastIndex(where: { !isOWS($0) }) else { return [] }
        return Array(self[start...end])
    }
}
