/// The `{{name}}` placeholders of a Cog input template's text: finding them, checking their names and filling them.
public enum CogTemplateText {
    /// The placeholders a template may use.
    public static let names: [String] = [
        "prompt", "system", "last_user", "max_tokens", "temperature", "top_p", "top_k", "stop", "model",
    ]

    /// One piece of a template's text.
    enum Piece: Equatable {
        case text(String)
        case placeholder(String)
    }

    /// The text cut into literal text and placeholders; `{{` with no closing `}}` is literal text.
    static func pieces(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            let name = rest[open.upperBound..<close.lowerBound].filter { $0 != " " }
            pieces.append(.placeholder(String(name)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return pieces
    }

    /// The placeholders in `text` that are not known (``names``), for the configuration's check.
    public static func unknownPlaceholders(in text: String) -> [String] {
        pieces(text).compactMap { piece in
            if case .placeholder(let name) = piece, !names.contains(name) { return name }
            return nil
        }
    }

    /// Whether `text` uses the placeholder `name`.
    static func uses(_ name: String, in text: String) -> Bool {
        pieces(text).contains(.placeholder(name))
    }
}
