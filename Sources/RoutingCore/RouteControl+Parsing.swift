import EdgeJSON

extension RouteControl {
    /// Longest header accepted, in bytes. The header names a few providers; anything longer is a mistake or
    /// an attack, and is refused before parsing.
    public static let maximumHeaderLength = 4096

    /// Parses the value of an `x-edge-route` header.
    ///
    /// Strict, so a typo is reported instead of silently ignored: bad JSON, a wrong type, an unknown or duplicate
    /// field all throw a ``RouteControlError`` whose message names the field, for example
    /// `x-edge-route: unknown field 'prefer'` or `x-edge-route: 'order' must be an array of provider ids`.
    /// A field set to `null` counts as absent.
    public init(header: String) throws(RouteControlError) {
        guard header.utf8.count <= Self.maximumHeaderLength else {
            throw RouteControlError(field: nil, detail: "header is longer than \(Self.maximumHeaderLength) bytes")
        }
        self.init()
        var reader = JSONReader(header)
        var seen: Set<String> = []
        var lastKey: String?
        do {
            try reader.expect(UInt8(ascii: "{"), "a JSON object")
        } catch {
            throw RouteControlError(field: nil, detail: "must be a JSON object")
        }
        if reader.consume(UInt8(ascii: "}")) {
            try Self.expectEnd(&reader)
            return
        }
        repeat {
            let key: String
            do {
                key = try reader.readString()
            } catch {
                throw Self.syntaxError(error, field: nil)
            }
            guard let field = Field(rawValue: key) else {
                throw RouteControlError(field: key, detail: "unknown field '\(EchoedInput.quoted(key))'")
            }
            guard seen.insert(key).inserted else {
                throw RouteControlError(field: key, detail: "duplicate field '\(EchoedInput.quoted(key))'")
            }
            let value: JSONValue
            do {
                try reader.expect(UInt8(ascii: ":"), "':'")
                value = try reader.readValue()
            } catch {
                throw Self.syntaxError(error, field: key)
            }
            try apply(value, to: field)
            lastKey = key
        } while reader.consume(UInt8(ascii: ","))
        do {
            try reader.expect(UInt8(ascii: "}"), "',' or '}'")
        } catch {
            throw Self.syntaxError(error, field: lastKey, after: true)
        }
        try Self.expectEnd(&reader)
    }

    /// The header's fields.
    private enum Field: String {
        case order
        case only
        case ignore
        case sort
        case allowFallbacks = "allow_fallbacks"
        case maxTTFTMilliseconds = "max_ttft_ms"
    }

    private mutating func apply(_ value: JSONValue, to field: Field) throws(RouteControlError) {
        if case .null = value { return }
        switch field {
        case .order:
            order = try Self.providerList(value, field: field)
        case .only:
            let list = try Self.providerList(value, field: field)
            // An empty `only` would rule out every provider: surely a mistake, and a confusing one to debug.
            guard !list.isEmpty else {
                throw RouteControlError(field: field.rawValue, detail: "'only' must list at least one provider id")
            }
            only = list
        case .ignore:
            ignore = try Self.providerList(value, field: field)
        case .sort:
            guard case .string(let text) = value, let sort = Sort(rawValue: text) else {
                throw RouteControlError(field: field.rawValue, detail: "'sort' must be \"ttft\" or \"price\"")
            }
            self.sort = sort
        case .allowFallbacks:
            guard case .bool(let allow) = value else {
                throw RouteControlError(field: field.rawValue, detail: "'allow_fallbacks' must be true or false")
            }
            allowFallbacks = allow
        case .maxTTFTMilliseconds:
            guard case .number(let milliseconds) = value, milliseconds > 0 else {
                throw RouteControlError(
                    field: field.rawValue, detail: "'max_ttft_ms' must be a positive number of milliseconds")
            }
            let nanos = milliseconds * 1e6
            maxTTFTNanos = nanos >= 1.8e19 ? .max : UInt64(nanos.rounded())
        }
    }

    private static func providerList(_ value: JSONValue, field: Field) throws(RouteControlError) -> ProviderList {
        let error = RouteControlError(
            field: field.rawValue, detail: "'\(field.rawValue)' must be an array of provider ids")
        guard case .array(let elements) = value else { throw error }
        var ids: [String] = []
        ids.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let id) = element, !id.isEmpty else { throw error }
            ids.append(id)
        }
        return ProviderList(ids)
    }

    private static func expectEnd(_ reader: inout JSONReader) throws(RouteControlError) {
        guard reader.isAtEnd() else {
            throw RouteControlError(field: nil, detail: "invalid JSON at byte \(reader.offset): expected the end")
        }
    }

    private static func syntaxError(
        _ error: JSONReader.SyntaxError, field: String?, after: Bool = false
    ) -> RouteControlError {
        let place = field.map { after ? " after '\($0)'" : " in '\($0)'" } ?? ""
        return RouteControlError(
            field: field, detail: "invalid JSON\(place) at byte \(error.offset): expected \(error.expected)")
    }
}
