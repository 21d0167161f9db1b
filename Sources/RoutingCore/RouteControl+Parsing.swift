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
    ///
    /// Read with EdgeJSON's ``JSONScanner``, member by member: each value is validated whole before its type is
    /// judged, so a syntax error inside a value wins over the value's wrong type, and a field's type error wins
    /// over whatever bad JSON follows it.
    public init(header: String) throws(RouteControlError) {
        guard header.utf8.count <= Self.maximumHeaderLength else {
            throw RouteControlError(field: nil, detail: "header is longer than \(Self.maximumHeaderLength) bytes")
        }
        var text = header
        // `withUTF8` is not typed-throws: the outcome comes back as a value.
        self = try text.withUTF8 { bytes in Result { () throws(RouteControlError) in try Self.parse(bytes) } }.get()
    }

    /// The header's fields.
    private enum Field: String {
        case order
        case only
        case ignore
        case sort
        case allowFallbacks = "allow_fallbacks"
        case maxTTFTMilliseconds = "max_ttft_ms"

        /// The field `key` names, compared without decoding unless the key has escapes.
        init?(_ key: JSONScanner.Key) {
            switch key {
            case "order": self = .order
            case "only": self = .only
            case "ignore": self = .ignore
            case "sort": self = .sort
            case "allow_fallbacks": self = .allowFallbacks
            case "max_ttft_ms": self = .maxTTFTMilliseconds
            default: return nil
            }
        }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(RouteControlError) -> RouteControl {
        // A header is not a document: the byte order mark the scanner would skip is refused like any non-object.
        guard bytes.first != 0xEF else { throw RouteControlError(field: nil, detail: "must be a JSON object") }
        var scanner = JSONScanner(bytes)
        do {
            try scanner.enterObject()
        } catch {
            throw RouteControlError(field: nil, detail: "must be a JSON object")
        }
        var control = RouteControl()
        var seen: Set<Field> = []
        var lastField: Field?
        while true {
            // A failure right where the separator belongs is the previous member's (`{"a": 1 2}` is bad JSON
            // after 'a'); one further on is in the next key, which has no name yet.
            scanner.skipWhitespace()
            let separator = scanner.offset
            let next: JSONScanner.Key?
            do {
                next = try scanner.nextKey()
            } catch {
                let after = error.offset == separator ? lastField : nil
                throw syntaxError(error, field: after?.rawValue, after: true)
            }
            guard let key = next else { break }
            guard let field = Field(key) else {
                let name = key.string
                throw RouteControlError(field: name, detail: "unknown field '\(EchoedInput.quoted(name))'")
            }
            guard seen.insert(field).inserted else {
                throw RouteControlError(field: field.rawValue, detail: "duplicate field '\(field.rawValue)'")
            }
            let mark: JSONScanner.Mark
            do {
                try scanner.readColon()
                mark = scanner.mark()
                try scanner.skipValue()
            } catch {
                throw syntaxError(error, field: field.rawValue)
            }
            // Valid JSON now, so reading it again can only find a wrong type.
            var value = scanner.resumed(at: mark)
            try control.apply(&value, to: field)
            lastField = field
        }
        do {
            try scanner.finish()
        } catch {
            throw RouteControlError(field: nil, detail: "invalid JSON at byte \(error.offset): expected the end")
        }
        return control
    }

    /// Sets `field` from the validated value `value` is at.
    private mutating func apply(_ value: inout JSONScanner, to field: Field) throws(RouteControlError) {
        do {
            try applyValidated(&value, to: field)
        } catch let error as RouteControlError {
            throw error
        } catch {
            // Unreachable: the value was validated before it was read.
            throw Self.syntaxError(error as? JSONScanner.Failure, field: field.rawValue)
        }
    }

    private mutating func applyValidated(_ value: inout JSONScanner, to field: Field) throws {
        let kind = try value.peekKind()
        if kind == .null { return }
        switch field {
        case .order:
            order = try Self.providerList(&value, kind, field: field)
        case .only:
            let list = try Self.providerList(&value, kind, field: field)
            // An empty `only` would rule out every provider: surely a mistake, and a confusing one to debug.
            guard !list.isEmpty else {
                throw RouteControlError(field: field.rawValue, detail: "'only' must list at least one provider id")
            }
            only = list
        case .ignore:
            ignore = try Self.providerList(&value, kind, field: field)
        case .sort:
            guard kind == .string, let sort = Sort(rawValue: try value.readString()) else {
                throw RouteControlError(field: field.rawValue, detail: "'sort' must be \"ttft\" or \"price\"")
            }
            self.sort = sort
        case .allowFallbacks:
            guard kind == .bool else {
                throw RouteControlError(field: field.rawValue, detail: "'allow_fallbacks' must be true or false")
            }
            allowFallbacks = try value.readBool()
        case .maxTTFTMilliseconds:
            guard kind == .number else { throw Self.notMilliseconds }
            let span = try value.readNumberSpan()
            let text = String(decoding: UnsafeBufferPointer(rebasing: value.bytes[span]), as: UTF8.self)
            // The scanner takes any number's text; this one's value is needed, so it must be a finite Double.
            guard let milliseconds = Double(text), milliseconds.isFinite else {
                throw RouteControlError(
                    field: field.rawValue,
                    detail: "invalid JSON in '\(field.rawValue)' at byte \(span.lowerBound): expected a finite number")
            }
            guard milliseconds > 0 else { throw Self.notMilliseconds }
            let nanos = milliseconds * 1e6
            maxTTFTNanos = nanos >= 1.8e19 ? .max : UInt64(nanos.rounded())
        }
    }

    private static let notMilliseconds = RouteControlError(
        field: Field.maxTTFTMilliseconds.rawValue, detail: "'max_ttft_ms' must be a positive number of milliseconds")

    private static func providerList(
        _ value: inout JSONScanner, _ kind: JSONScanner.ValueKind, field: Field
    ) throws -> ProviderList {
        let error = RouteControlError(
            field: field.rawValue, detail: "'\(field.rawValue)' must be an array of provider ids")
        guard kind == .array else { throw error }
        var ids: [String] = []
        try value.enterArray()
        while try value.nextElement() {
            guard try value.peekKind() == .string else { throw error }
            let id = try value.readString()
            guard !id.isEmpty else { throw error }
            ids.append(id)
        }
        return ProviderList(ids)
    }

    private static func syntaxError(
        _ error: JSONScanner.Failure?, field: String?, after: Bool = false
    ) -> RouteControlError {
        let place = field.map { after ? " after '\($0)'" : " in '\($0)'" } ?? ""
        let position = error.map { " at byte \($0.offset): expected \($0.expected)" } ?? ""
        return RouteControlError(field: field, detail: "invalid JSON\(place)\(position)")
    }
}
