import Foundation
import Testing

@testable import EdgeRouter

/// `Retry-After` from a provider is outside input: whole seconds or an HTTP date, clamped, garbage ignored, and
/// never a reason for the process to trap.
@Suite("Retry-After: parsed, clamped, never trusted", .timeLimit(.minutes(2)))
struct RetryAfterTests {
    /// 2026-01-01 00:00:00 GMT.
    static let now: Int64 = 1_767_225_600

    @Test("whole delta-seconds are the wait; surrounding whitespace is allowed")
    func deltaSeconds() {
        #expect(RetryAfter.parse("0", nowEpochSeconds: Self.now) == .zero)
        #expect(RetryAfter.parse("7", nowEpochSeconds: Self.now) == .seconds(7))
        #expect(RetryAfter.parse(" 120\t", nowEpochSeconds: Self.now) == .seconds(120))
    }

    @Test("huge numbers saturate at the ceiling instead of overflowing")
    func hugeNumbers() {
        #expect(RetryAfter.parse("99999999999999999999999999", nowEpochSeconds: Self.now) == RetryAfter.ceiling)
        #expect(RetryAfter.parse("9223372036854775807", nowEpochSeconds: Self.now) == RetryAfter.ceiling)
        #expect(RetryAfter.parse("1000000", nowEpochSeconds: Self.now) == RetryAfter.ceiling)
    }

    @Test("garbage is ignored: exponents, fractions, signs, inf, nan, words, empty", arguments: [
        "1e20", "1E3", "inf", "-inf", "nan", "NaN", "-5", "+5", "1.5", "0x10", "soon", "", "  ", "5 s", "1,5",
    ])
    func garbage(_ value: String) {
        #expect(RetryAfter.parse(value, nowEpochSeconds: Self.now) == nil)
    }

    @Test("an IMF-fixdate is the time until that date; a past date means no wait")
    func httpDate() {
        #expect(RetryAfter.parse("Thu, 01 Jan 2026 00:00:30 GMT", nowEpochSeconds: Self.now) == .seconds(30))
        #expect(RetryAfter.parse("Thu, 01 Jan 2026 00:02:00 GMT", nowEpochSeconds: Self.now) == .seconds(120))
        #expect(RetryAfter.parse("Wed, 31 Dec 2025 23:59:00 GMT", nowEpochSeconds: Self.now) == .zero)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", nowEpochSeconds: Self.now) == .zero)
        #expect(RetryAfter.parse("Fri, 31 Dec 9999 23:59:59 GMT", nowEpochSeconds: Self.now) == RetryAfter.ceiling)
        #expect(RetryAfter.imfFixdateEpochSeconds(Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)) == 784_111_777)
        #expect(RetryAfter.imfFixdateEpochSeconds(Array("Tue, 29 Feb 2028 12:00:00 GMT".utf8)) == 1_835_438_400)
    }

    @Test("malformed dates are ignored", arguments: [
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
    ])
    func malformedDates(_ value: String) {
        #expect(RetryAfter.parse(value, nowEpochSeconds: Self.now) == nil)
    }

    @Test("the wall-clock variant reads a date a minute ahead as about a minute")
    func wallClock() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let header = formatter.string(from: Date().addingTimeInterval(60))
        let wait = try #require(RetryAfter.parse(header))
        #expect(wait >= .seconds(55) && wait <= .seconds(61), "\(header) -> \(wait)")
    }
}
