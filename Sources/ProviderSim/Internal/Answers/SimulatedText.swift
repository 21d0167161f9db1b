/// What simulated answers say: the content words (the same as OpenAI's answers always had), thinking words, and
/// the one tool call's arguments.
enum SimulatedText {
    static var words: [String] { OpenAIWire.words }

    static func word(_ index: Int) -> String { OpenAIWire.token(index) }

    static let thinkingWords = [
        "Let", " me", " think", " about", " which", " provider", " answers", " fastest", " here", ".",
    ]

    static func thought(_ index: Int) -> String { thinkingWords[index % thinkingWords.count] }

    /// The tool call's arguments, one fragment per output token; together a small JSON object.
    static let toolArguments = [#"{"city""#, #": "Paris""#, #", "unit""#, #": "celsius""#, "}"]

    /// The arguments whole.
    static var toolArgumentsJSON: String { toolArguments.joined() }

    /// A thinking block's signature (opaque to clients; base64-looking, as Anthropic's is).
    static let signature = "EqQBCkYIBxgCKkBzaW11bGF0ZWQtdGhpbmtpbmctc2lnbmF0dXJlLWZvci1lZGdlLXJvdXRlcg=="

    /// The whole answer text of `tokens` tokens.
    static func answer(_ tokens: Int) -> String { (0..<tokens).map(word).joined() }

    /// The whole thinking text of `tokens` tokens.
    static func thinking(_ tokens: Int) -> String { (0..<tokens).map(thought).joined() }

    /// A JSON string literal, quotes included.
    static func quoted(_ text: String) -> String { "\"" + OpenAIWire.escape(text) + "\"" }
}
