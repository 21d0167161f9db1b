import EdgeJSON
import Foundation

/// Reads the body of `POST /_sim/config` with EdgeJSON's ``JSONScanner``, the project's one JSON parser: a JSON
/// object whose values are read as Foundation values (`NSNumber` for numbers and booleans, `String`, `NSNull`),
/// the form ``SimulatorSettings/apply(json:)`` checks field by field. An array or object value is kept as a
/// marker that no field accepts, so it is refused with the field's own message.
enum ControlBodyReader {
    /// The object's members, or nil if `bytes` is not one JSON object.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: Any]? {
        var scanner = JSONScanner(bytes)
        var members: [String: Any] = [:]
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                members[key.string] = try value(&scanner)
            }
            try scanner.finish()
        } catch {
            return nil
        }
        return members
    }

    private static func value(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Any {
        switch try scanner.peekKind() {
        case .string: return try scanner.readString()
        case .bool: return NSNumber(value: try scanner.readBool())
        case .null:
            _ = try scanner.consumeNull()
            return NSNull()
        case .number:
            let span = try scanner.readNumberSpan()
            let text = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[span]), as: UTF8.self)
            // Valid JSON number text always reads as a Double (huge ones as infinity, which no field accepts).
            return NSNumber(value: Double(text) ?? .infinity)
        case .object, .array:
            try scanner.skipValue()
            return NestedValue()
        }
    }

    /// A nested array or object: no simulator setting takes one.
    private struct NestedValue {}
}
