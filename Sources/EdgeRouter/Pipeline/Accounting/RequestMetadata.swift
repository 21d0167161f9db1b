import EdgeJSON
import EdgeWire
import NIOCore
import RoutingCore
import RequestLog

/// The client's own labels for a request (`team`, `customer`, `userId`...), by which spend is broken down.
///
/// Three sources, each replacing the same field of the one before: the gateway key's configured defaults, the
/// body's user fields (OpenAI's `user` and `metadata`, Anthropic's `metadata.user_id`), then the `x-edge-metadata`
/// header: a JSON object of at most 5 string, number or boolean values.
public struct RequestMetadata: Sendable, Equatable {
    /// Fields in the order first set; each value is its JSON text (a string with its quotes, a number as written,
    /// `true` or `false`).
    public private(set) var fields: [Field] = []

    /// One field: its name and its value as JSON text.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var json: String

        public init(name: String, json: String) {
            self.name = name
            self.json = json
        }
    }

    static let maxHeaderFields = 5
    static let maxHeaderBytes = 2048
    /// Longest string value kept (from the header or the body); a longer body value is left out.
    static let maxStringBytes = 256
    /// At most this many of the body's `metadata` fields are kept.
    static let maxBodyFields = 16

    public init(defaults: [Field] = []) {
        for field in defaults { set(field.name, json: field.json) }
    }

    /// The fields as one JSON object, for the record.
    public var json: String {
        "{" + fields.map { "\(JSONText.quoted($0.name)):\($0.json)" }.joined(separator: ",") + "}"
    }

    /// The value of a field, as JSON text.
    subscript(name: String) -> String? { fields.first { $0.name == name }?.json }

    private mutating func set(_ name: String, json: String) {
        if let index = fields.firstIndex(where: { $0.name == name }) {
            fields[index].json = json
        } else {
            fields.append(Field(name: name, json: json))
        }
    }

    // MARK: The header

    /// Sets `fields` over the fields so far.
    public mutating func merge(_ fields: [Field]) {
        for field in fields { set(field.name, json: field.json) }
    }

    /// The fields of an `x-edge-metadata` header; a malformed or oversized header is a 400 naming it.
    public static func parse(header: String) throws(EdgeRouterError) -> [Field] {
        func refuse(_ detail: String) -> EdgeRouterError {
            EdgeRouterError(.invalidRequest, "The x-edge-metadata header \(detail).", param: "x-edge-metadata")
        }
        let bytes = Array(header.utf8)
        guard bytes.count <= maxHeaderBytes else { throw refuse("is longer than \(maxHeaderBytes) bytes") }
        let parsed: Result<[Field], EdgeRouterError> = bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            var fields: [Field] = []
            do throws(JSONScanner.Failure) {
                guard try scanner.peekKind() == .object else {
                    return .failure(refuse("must be a JSON object of string, number or boolean values"))
                }
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    let name = key.string
                    guard MetadataName.isValid(name) else {
                        return .failure(refuse("has a field name that is not 1 to 64 letters, digits, '_' or '-'"))
                    }
                    guard fields.count < maxHeaderFields else {
                        return .failure(refuse("has more than \(maxHeaderFields) fields"))
                    }
                    switch try scanner.peekKind() {
                    case .string:
                        let value = try scanner.readString()
                        guard value.utf8.count <= maxStringBytes else {
                            return .failure(refuse("has a value longer than \(maxStringBytes) bytes ('\(name)')"))
                        }
                        fields.append(Field(name: name, json: JSONText.quoted(value)))
                    case .number:
                        let text = String(decoding: try scanner.readRawValue(), as: UTF8.self)
                        // JSON's grammar has no range; a number a double cannot hold (15e007855) would not be
                        // read back by most JSON readers, the request log's among them.
                        guard let value = Double(text), value.isFinite else {
                            return .failure(refuse("has a number out of range ('\(name)')"))
                        }
                        fields.append(Field(name: name, json: text))
                    case .bool:
                        fields.append(Field(name: name, json: String(decoding: try scanner.readRawValue(), as: UTF8.self)))
                    case .object, .array, .null:
                        return .failure(refuse("may hold only strings, numbers and booleans ('\(name)' does not)"))
                    }
                }
                try scanner.finish()
            } catch {
                return .failure(refuse("is not valid JSON (\(error.expected) expected at byte \(error.offset))"))
            }
            let names = fields.map(\.name)
            guard Set(names).count == names.count else { return .failure(refuse("names a field twice")) }
            return .success(fields)
        }
        return try parsed.get()
    }

    // MARK: The body

    /// Takes the body's user fields: OpenAI's `user` (as `user`) and `metadata` (string values), Anthropic's
    /// `metadata.user_id` (as `user_id`). The body was validated at admission; anything unexpected is left out.
    public mutating func merge(body: UnsafeBufferPointer<UInt8>, dialect: Dialect) {
        var scanner = JSONScanner(body)
        var found: [Field] = []
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch (dialect, try scanner.peekKind()) {
                case (.openai, .string) where key.matches("user"):
                    let user = try scanner.readString()
                    if user.utf8.count <= Self.maxStringBytes { found.append(Field(name: "user", json: JSONText.quoted(user))) }
                case (.openai, .object) where key.matches("metadata"):
                    try scanner.enterObject()
                    while let field = try scanner.nextMember() {
                        let name = field.string
                        if try scanner.peekKind() == .string, MetadataName.isValid(name), found.count < Self.maxBodyFields {
                            let value = try scanner.readString()
                            if value.utf8.count <= Self.maxStringBytes { found.append(Field(name: name, json: JSONText.quoted(value))) }
                        } else {
                            try scanner.skipValue()
                        }
                    }
                case (.anthropic, .object) where key.matches("metadata"):
                    try scanner.enterObject()
                    while let field = try scanner.nextMember() {
                        if field.matches("user_id"), try scanner.peekKind() == .string {
                            let user = try scanner.readString()
                            if user.utf8.count <= Self.maxStringBytes { found.append(Field(name: "user_id", json: JSONText.quoted(user))) }
                        } else {
                            try scanner.skipValue()
                        }
                    }
                default:
                    try scanner.skipValue()
                }
            }
        } catch {
            return  // not the body admission accepted: nothing is taken from it
        }
        for field in found { set(field.name, json: field.json) }
    }
}

/// JSON text for the record.
enum JSONText {
    /// `text` as a JSON string, quotes included.
    static func quoted(_ text: String) -> String {
        var output = ByteBuffer()
        output.writeJSONString(text)
        return String(buffer: output)
    }
}
