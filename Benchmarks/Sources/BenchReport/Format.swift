import Foundation

/// Number formatting for the report: few digits, units the reader expects.
enum Format {
    /// Milliseconds with precision that suits the size: 0.123, 1.23, 12.3, 123.
    static func ms(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude < 1 { return String(format: "%.3f", value) }
        if magnitude < 10 { return String(format: "%.2f", value) }
        if magnitude < 100 { return String(format: "%.1f", value) }
        return String(format: "%.0f", value)
    }

    /// Seconds as short as they can be written: 30, 7.5.
    static func seconds(_ value: Double) -> String {
        String(format: "%g", value)
    }

    /// A difference in milliseconds with its sign: +0.123, -0.010.
    static func signedMs(_ value: Double) -> String {
        (value >= 0 ? "+" : "") + ms(value)
    }

    /// A ratio such as 0.72×.
    static func ratio(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f×", value) : value >= 10 ? String(format: "%.1f×", value) : String(format: "%.2f×", value)
    }

    static func percent(_ fraction: Double) -> String {
        String(format: "%.2f %%", fraction * 100)
    }

    /// Requests per second with a thousands separator: 12,500.
    static func rate(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    static func rate(_ value: Double) -> String { rate(Int(value.rounded())) }

    /// KiB as MiB with one decimal.
    static func mib(_ kib: Int) -> String {
        String(format: "%.1f MiB", Double(kib) / 1024)
    }

    /// Error counts by kind, largest first: `(http_503 12, timeout 3)`; empty when there are none.
    static func errors(_ errors: [String: Int]) -> String {
        guard !errors.isEmpty else { return "" }
        let parts = errors.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        return "(" + parts.joined(separator: ", ") + ")"
    }
}

/// Markdown building blocks shared by the report's sections.
enum Markdown {
    /// A table with a header row; a blank line after it.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
            + rows.map { "| " + $0.joined(separator: " | ") + " |" } + [""]
    }
}
