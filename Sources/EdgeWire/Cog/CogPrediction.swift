import EdgeJSON

/// What a Cog prediction object (or a stream event's data) says, as far as the router needs it: `id`, `status`,
/// `output`, `error`, and a stream `output` event's `chunk`. Outside input: read with ``JSONScanner``, never
/// trusted (any field may be missing, of another type, or huge).
struct CogPrediction: Equatable {
    var id: String?
    var status: String?
    /// The output as text: a string as it is, an array (an iterator's pieces) concatenated, any other JSON value
    /// as its JSON text. Nil when absent or null.
    var output: String?
    /// A stream `output` event's `chunk`, as text the same way.
    var chunk: String?
    /// The error message of a failed prediction (or of an error answer: `{"error": …}`).
    var error: String?

    /// Reads one JSON object; throws when `bytes` are not one.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONScanner.Failure) -> CogPrediction {
        var scanner = JSONScanner(bytes)
        var prediction = CogPrediction()
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "id": prediction.id = try text(&scanner)
            case "status": prediction.status = try text(&scanner)
            case "error": prediction.error = try text(&scanner)
            case "output": prediction.output = try text(&scanner, concatenating: true)
            case "chunk": prediction.chunk = try text(&scanner, concatenating: false)
            default: try scanner.skipValue()
            }
        }
        try scanner.finish()
        return prediction
    }

    /// A value as text: a string as it is; an array of strings concatenated when `concatenating` (Cog's iterator
    /// output); null as nil; anything else as its JSON text.
    private static func text(_ scanner: inout JSONScanner, concatenating: Bool = false) throws(JSONScanner.Failure) -> String? {
        switch try scanner.peekKind() {
        case .string:
            return try scanner.readString()
        case .null:
            _ = try scanner.consumeNull()
            return nil
        case .array where concatenating:
            let start = scanner.mark()
            var joined = ""
            try scanner.enterArray()
            var allStrings = true
            while try scanner.nextElement() {
                if try scanner.peekKind() == .string {
                    joined += try scanner.readString()
                } else {
                    allStrings = false
                    try scanner.skipValue()
                }
            }
            if allStrings { return joined }
            var whole = scanner.resumed(at: start)
            return String(decoding: try whole.readRawValue(), as: UTF8.self)
        default:
            return String(decoding: try scanner.readRawValue(), as: UTF8.self)
        }
    }
}
