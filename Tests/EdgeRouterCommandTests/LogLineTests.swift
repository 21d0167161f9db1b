import Foundation
import Logging
import Testing

@testable import edge_router

@Suite("Log lines cannot be forged")
struct LogLineTests {
    static let handler = StandardErrorLogHandler(label: "edge-router", logLevel: .info, metadataProvider: nil)
    static let time = Date(timeIntervalSince1970: 1_700_000_000)

    /// A provider's text that tries to end the line and write one of its own, in colour.
    static let forged = "bad gateway\n2026-01-01T00:00:00Z critical edge-router : [EdgeRouter] \u{1B}[31mcredentials leaked\r\t\u{7F}\u{85}\u{0}"

    @Test("control characters in the message, metadata keys and values are escaped: one line, ending in one newline")
    func escapesControlCharacters() {
        let line = Self.handler.render(
            level: .info, message: "upstream said: \(Self.forged)",
            metadata: ["detail": "\(Self.forged)", "key\nforged": "x", "list": .array(["a\nb"])],
            source: "EdgeRouter", time: Self.time)
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) })
        #expect(line.contains(#"bad gateway\n2026-01-01T00:00:00Z critical"#))
        #expect(line.contains(#"\u{1B}[31mcredentials leaked\r\t\u{7F}\u{85}\u{0}"#))
        #expect(line.contains(#"key\nforged=x"#))
        #expect(line.contains(#"a\nb"#))
    }

    @Test("a line with nothing to escape is written as it was: time, level, label, sorted metadata, source, message")
    func plainLineUnchanged() {
        let line = Self.handler.render(
            level: .warning, message: "upstream attempt failed", metadata: ["b": "2", "a": "1 é ✓"], source: "EdgeRouter",
            time: Self.time)
        #expect(line == "2023-11-14T22:13:20Z warning edge-router : a=1 é ✓ b=2 [EdgeRouter] upstream attempt failed\n")
    }
}
