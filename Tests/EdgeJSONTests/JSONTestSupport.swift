@testable import EdgeJSON
import Foundation

/// A JSON value read with ``JSONScanner``, to compare with what Foundation reads from the same bytes.
enum ScannedValue: Sendable {
    case null
    case bool(Bool)
    /// The number's text as written.
    case number(String)
    case string(String)
    case array([ScannedValue])
    /// Members in document order, duplicates kept.
    case object([(key: String, value: ScannedValue)])

    /// Reads a whole document (any value at the top, as `JSONSerialization` with `.fragmentsAllowed`).
    static func read(_ bytes: [UInt8]) throws(JSONScanner.Failure) -> ScannedValue {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONScanner.Failure) -> ScannedValue in
                var scanner = JSONScanner(buffer)
                let value = try readValue(&scanner)
                try scanner.finish()
                return value
            }
        }
        return try result.get()
    }

    /// Whether the scanner accepts the document, walking it with `skipValue` only.
    static func validates(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            do {
                try scanner.skipValue()
                try scanner.finish()
                return true
            } catch {
                return false
            }
        }
    }

    private static func readValue(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> ScannedValue {
        switch try scanner.peekKind() {
        case .null:
            _ = try scanner.consumeNull()
            return .null
        case .bool:
            return .bool(try scanner.readBool())
        case .number:
            let range = try scanner.readNumberSpan()
            return .number(String(decoding: scanner.bytes[range], as: UTF8.self))
        case .string:
            return .string(try scanner.readString())
        case .array:
            try scanner.enterArray()
            var elements: [ScannedValue] = []
            while try scanner.nextElement() { elements.append(try readValue(&scanner)) }
            return .array(elements)
        case .object:
            try scanner.enterObject()
            var members: [(key: String, value: ScannedValue)] = []
            while let key = try scanner.nextMember() { members.append((key.string, try readValue(&scanner))) }
            return .object(members)
        }
    }

    /// Whether a number in the value is outside `Double`'s range (Foundation refuses those; the scanner does not).
    var hasOverflowingNumber: Bool {
        switch self {
        case .number(let text): return !(Double(text)?.isFinite ?? false)
        case .array(let elements): return elements.contains { $0.hasOverflowingNumber }
        case .object(let members): return members.contains { $0.value.hasOverflowingNumber }
        default: return false
        }
    }

    /// Whether this is what Foundation read: same structure, strings byte for byte, numbers as doubles, and of
    /// duplicate keys the last one (as `JSONSerialization` keeps it).
    func matches(_ other: Any) -> Bool {
        switch self {
        case .null:
            return other is NSNull
        case .bool(let value):
            guard let number = other as? NSNumber, Self.isBoolean(number) else { return false }
            return number.boolValue == value
        case .number(let text):
            guard let number = other as? NSNumber, !Self.isBoolean(number), let mine = Double(text) else { return false }
            let theirs = number.doubleValue
            return mine == theirs || abs(mine - theirs) <= 1e-12 * max(abs(mine), abs(theirs))
        case .string(let value):
            guard let string = other as? String else { return false }
            return Array(value.utf8) == Array(string.utf8)
        case .array(let elements):
            guard let array = other as? [Any], array.count == elements.count else { return false }
            return zip(elements, array).allSatisfy { $0.matches($1) }
        case .object(let members):
            guard let dictionary = other as? [String: Any] else { return false }
            var last: [String: ScannedValue] = [:]
            for member in members { last[member.key] = member.value }
            guard last.count == dictionary.count else { return false }
            return last.allSatisfy { key, value in dictionary[key].map { value.matches($0) } ?? false }
        }
    }

    static func isBoolean(_ number: NSNumber) -> Bool {
        number.objCType.pointee == CChar(UInt8(ascii: "c"))
    }
}

/// Foundation's verdict on a document.
func foundationParse(_ bytes: [UInt8]) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
}

/// The document without its trailing commas (`,` before `]` or `}`, outside strings), which Foundation accepts and
/// the scanner does not; nil if there were none.
func removingTrailingCommas(_ bytes: [UInt8]) -> [UInt8]? {
    var output: [UInt8] = []
    var inString = false
    var escaped = false
    var removed = false
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
        } else if byte == UInt8(ascii: "\"") {
            inString = true
        } else if byte == UInt8(ascii: ",") {
            var next = index + 1
            while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
            if next < bytes.count, bytes[next] == UInt8(ascii: "]") || bytes[next] == UInt8(ascii: "}") {
                removed = true
                index += 1
                continue
            }
        }
        output.append(byte)
        index += 1
    }
    return removed ? output : nil
}

/// Random JSON text, written by hand so that every spelling JSON allows turns up: escapes of every kind, surrogate
/// pairs, raw multi-byte UTF-8, numbers with fractions and exponents or too long for `Int`, whitespace everywhere.
struct JSONTextGenerator {
    var random: RoutingTestRandom

    init(seed: UInt64) {
        random = RoutingTestRandom(seed: seed)
    }

    mutating func chance(_ probability: Double) -> Bool { random.unit() < probability }

    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(random.next() % UInt64(choices.count))] }

    mutating func whitespace() -> String {
        guard chance(0.3) else { return "" }
        return String((0..<Int(random.next() % 3 + 1)).map { _ in pick([" ", "\t", "\n", "\r"]) as Character })
    }

    /// A JSON string literal, quotes included.
    mutating func stringLiteral(maxPieces: Int = 6) -> String {
        var text = "\""
        for _ in 0..<Int(random.next() % UInt64(maxPieces + 1)) {
            switch random.next() % 12 {
            case 0: text += pick(["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"])
            case 1: text += String(format: "\\u%04x", Int(random.next() % 0x20))
            case 2: text += String(format: pick(["\\u%04x", "\\u%04X"]), Int(random.next() % 0xD800))
            case 3:
                let scalar = 0x10000 + Int(random.next() % 0x100000)
                let high = 0xD800 + ((scalar - 0x10000) >> 10)
                let low = 0xDC00 + ((scalar - 0x10000) & 0x3FF)
                text += String(format: "\\u%04X\\u%04x", high, low)
            case 4: text += pick(["é", "中文", "😀", "\u{7F}", "\u{FFFF}", "\u{10FFFF}", "ß", "\u{2028}", "e\u{301}"])
            case 5: text += String(format: "\\u%04x", 0xE000 + Int(random.next() % 0x2000))
            default: text += pick(["a", "hello", " ", "token", "{", "}", "[", "]", ",", ":", "1", "null", "'"])
            }
        }
        return text + "\""
    }

    mutating func numberLiteral() -> String {
        switch random.next() % 10 {
        case 0: return pick(["0", "-0", "1", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808"])
        case 1: return pick(["123456789012345678901234567890", "-0.0", "0.5", "1e10", "2.5E-3", "1E+2", "1.7976931348623157e308", "5e-324", "1e-400"])
        case 2: return "\(Int64(bitPattern: random.next()))"
        case 3: return "\(Int(random.next() % 1000))"
        case 4: return "\(Int(random.next() % 1000)).\(Int(random.next() % 1000))"
        case 5: return "-\(Int(random.next() % 100))e\(pick(["", "+", "-"]))\(Int(random.next() % 30))"
        default: return "\(Int(random.next() % 100_000))"
        }
    }

    /// Any JSON value, nested up to `depth`.
    mutating func value(depth: Int) -> String {
        let kind = depth <= 0 ? random.next() % 4 : random.next() % 6
        switch kind {
        case 0: return stringLiteral()
        case 1: return numberLiteral()
        case 2: return pick(["true", "false", "null"])
        case 3: return chance(0.5) ? stringLiteral() : numberLiteral()
        case 4:
            let count = Int(random.next() % 4)
            let elements = (0..<count).map { _ in whitespace() + value(depth: depth - 1) + whitespace() }
            return "[" + whitespace() + elements.joined(separator: ",") + "]"
        default:
            let count = Int(random.next() % 4)
            var keys = Set<String>()
            var members: [String] = []
            for _ in 0..<count {
                let key = stringLiteral(maxPieces: 2)
                guard keys.insert(key).inserted else { continue }
                members.append(whitespace() + key + whitespace() + ":" + whitespace() + value(depth: depth - 1) + whitespace())
            }
            return "{" + whitespace() + members.joined(separator: ",") + "}"
        }
    }

    /// Damages a document: truncation, a byte changed, removed or inserted, a slice repeated.
    mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        guard !bytes.isEmpty else { return [pick([0x7B, 0x5B, 0x22, 0x00, 0xFF])] }
        let position = Int(random.next() % UInt64(bytes.count))
        let interesting: [UInt8] = Array("{}[]\",:\\ -.eE0123456789tfnu".utf8) + [0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]
        switch random.next() % 5 {
        case 0: bytes.removeSubrange(position...)
        case 1: bytes[position] = pick(interesting)
        case 2: bytes.remove(at: position)
        case 3: bytes.insert(pick(interesting), at: position)
        default:
            let end = min(bytes.count, position + Int(random.next() % 8) + 1)
            bytes.insert(contentsOf: bytes[position..<end], at: position)
        }
        return bytes
    }
}

/// Whether two values Foundation read are the same JSON: booleans apart from numbers, numbers by value, strings
/// byte for byte.
func foundationEqual(_ a: Any, _ b: Any) -> Bool {
    switch (a, b) {
    case (is NSNull, is NSNull):
        return true
    case (let a as NSNumber, let b as NSNumber):
        guard ScannedValue.isBoolean(a) == ScannedValue.isBoolean(b) else { return false }
        return a == b || a.doubleValue == b.doubleValue
    case (let a as String, let b as String):
        return Array(a.utf8) == Array(b.utf8)
    case (let a as [Any], let b as [Any]):
        return a.count == b.count && zip(a, b).allSatisfy { foundationEqual($0, $1) }
    case (let a as [String: Any], let b as [String: Any]):
        return a.count == b.count && a.allSatisfy { key, value in b[key].map { foundationEqual(value, $0) } ?? false }
    default:
        return false
    }
}
