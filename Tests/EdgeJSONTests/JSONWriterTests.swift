@testable import EdgeJSON
import Foundation
import Testing

@Suite("JSON writer", .timeLimit(.minutes(5)))
struct JSONWriterTests {
    static func roundTrip(_ string: String) throws -> String? {
        var buffer: [UInt8] = []
        buffer.writeJSONText("[")
        buffer.writeJSONString(string)
        buffer.writeJSONText("]")
        let array = try JSONSerialization.jsonObject(with: Data(buffer)) as? [Any]
        return array?.first as? String
    }

    @Test("every ASCII character, control characters included, comes back exactly")
    func ascii() throws {
        for byte in UInt8(0)...UInt8(0x7F) {
            let string = "a" + String(UnicodeScalar(byte)) + "b"
            #expect(try Self.roundTrip(string).map { Array($0.utf8) } == Array(string.utf8), "byte \(byte)")
        }
        let all = String(decoding: Array(UInt8(0)...UInt8(0x7F)), as: UTF8.self)
        #expect(try Self.roundTrip(all).map { Array($0.utf8) } == Array(all.utf8))
    }

    @Test("escapes as RFC 8259 spells them: short forms, \\u00XX for other controls, nothing else escaped")
    func spelling() {
        var buffer: [UInt8] = []
        buffer.writeJSONString("q\"b\\s/n\nr\rt\tB\u{8}f\u{C}z\u{0}u\u{1F}d\u{7F}é😀\u{2028}")
        #expect(String(decoding: buffer, as: UTF8.self) == #""q\"b\\s/n\nr\rt\tB\bf\fz\u0000u\u001fd"# + "\u{7F}é😀\u{2028}\"")
        var empty: [UInt8] = []
        #expect(empty.writeJSONString("") == 2)
        #expect(String(decoding: empty, as: UTF8.self) == #""""#)
        var counted: [UInt8] = []
        #expect(counted.writeJSONString("a\u{1}\"é") == counted.count)
    }

    @Test("random Unicode text round-trips through JSONSerialization")
    func unicode() throws {
        var random = RoutingTestRandom(seed: 42)
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int(random.next() % 40) {
                let raw = UInt32(random.next() % 4 == 0 ? random.next() % 0x80 : random.next() % 0x11_0000)
                if let scalar = Unicode.Scalar(raw) { scalars.append(scalar) }
            }
            let string = String(scalars)
            #expect(try Self.roundTrip(string).map { Array($0.utf8) } == Array(string.utf8))
        }
    }

    @Test("integers, extremes included")
    func integers() throws {
        var random = RoutingTestRandom(seed: 7)
        let values = [0, 1, -1, 9, 10, -10, 1_700_000_000, .max, .min] + (0..<200).map { _ in Int(bitPattern: UInt(random.next())) >> Int(random.next() % 60) }
        for value in values {
            var buffer: [UInt8] = []
            #expect(buffer.writeJSONInteger(value) == buffer.count)
            #expect(String(decoding: buffer, as: UTF8.self) == String(value))
        }
    }
}
