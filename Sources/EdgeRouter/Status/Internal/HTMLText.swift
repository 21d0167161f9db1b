/// Text made safe to place in HTML, in element content and in quoted attribute values alike.
enum HTMLText {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references.
    static func escape(_ text: some StringProtocol) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// Milliseconds as the page shows them: `82.1 ms`, `1.25 s`, or a dash for no value. `status-page.js` has
    /// the same rule.
    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value >= 1000 ? format(value / 1000, places: 2) + " s" : format(value, places: 1) + " ms"
    }

    /// `value` with exactly `places` decimals (JavaScript's `toFixed`).
    static func format(_ value: Double, places: Int) -> String {
        let scale = places == 2 ? 100.0 : 10.0
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        let padded = String(repeating: "0", count: max(places - fraction.count, 0)) + fraction
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole).\(padded)"
    }

    /// A duration in seconds as `3 d 4 h`, `4 h 5 min`, `5 min 6 s` or `6 s`. `status-page.js` has the same rule.
    static func uptime(_ seconds: Int) -> String {
        let (days, hours, minutes, secs) = (seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60)
        if days > 0 { return "\(days) d \(hours) h" }
        if hours > 0 { return "\(hours) h \(minutes) min" }
        if minutes > 0 { return "\(minutes) min \(secs) s" }
        return "\(secs) s"
    }
}
