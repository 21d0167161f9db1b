import EdgeJSON

/// Reads Gemini's `:embedContent` body (`content`, `taskType`, `title`, `outputDimensionality`) and
/// `:batchEmbedContents` body (`requests`, each of those plus its `model`). The model comes from the URL: a batch
/// item's own `model` is not read, as one request goes to one deployment. `taskType` and `outputDimensionality`
/// must be the same for every item, for the same reason. Only text parts can be embedded; a content's parts are
/// joined by a newline. Unknown fields are refused, as Gemini's own API refuses them.
public enum GeminiEmbeddingReader {
    /// Reads a request body for `model` (from the URL); `batch` for `:batchEmbedContents`.
    public static func read(_ bytes: some Collection<UInt8>, model: String, batch: Bool) throws(WireError) -> EmbeddingRequest {
        try GeminiBodyCursor.read(bytes) { (cursor: inout GeminiBodyCursor) throws(WireError) in
            var request = EmbeddingRequest(model: model, inputs: [])
            guard batch else {
                let item = try readItem(&cursor, path: "")
                request.inputs = [item.input]
                request.taskType = item.taskType
                request.dimensions = item.dimensions
                return request
            }
            try cursor.enterObject("")
            var sawRequests = false
            while let key = try cursor.nextMember() {
                guard key.matches("requests") else { throw unknown(key.string, at: "") }
                sawRequests = true
                try cursor.enterArray("requests")
                var index = 0
                while try cursor.nextElement() {
                    let path = "requests[\(index)]"
                    let item = try readItem(&cursor, path: path)
                    if index == 0 {
                        request.taskType = item.taskType
                        request.dimensions = item.dimensions
                    } else if item.taskType != request.taskType {
                        throw WireError("'\(path).taskType' must be the same for every request of a batch.", param: "\(path).taskType")
                    } else if item.dimensions != request.dimensions {
                        throw WireError(
                            "'\(path).outputDimensionality' must be the same for every request of a batch.",
                            param: "\(path).outputDimensionality")
                    }
                    request.inputs.append(item.input)
                    index += 1
                    guard index <= EmbeddingRequest.maximumInputs else {
                        throw WireError("'requests' may hold at most \(EmbeddingRequest.maximumInputs) items.", param: "requests")
                    }
                }
            }
            guard sawRequests, !request.inputs.isEmpty else {
                throw WireError("'requests' must be a non-empty array.", param: "requests")
            }
            return request
        }
    }

    private struct Item {
        var input: EmbeddingInput
        var taskType: String?
        var dimensions: Int?
    }

    /// One `EmbedContentRequest`; `path` is its place in the body (`requests[2]`, or empty for the whole body).
    private static func readItem(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) -> Item {
        let prefix = path.isEmpty ? "" : path + "."
        try cursor.enterObject(path)
        var text: String?
        var item = Item(input: .text(""))
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "content": text = try readContent(&cursor, path: prefix + "content")
            case "taskType": item.taskType = try cursor.string(prefix + "taskType")
            case "title": item.input.title = try cursor.string(prefix + "title")
            case "outputDimensionality":
                item.dimensions = try EmbeddingLimits.dimensions(
                    cursor.int(prefix + "outputDimensionality"), param: prefix + "outputDimensionality")
            case "model" where !path.isEmpty: _ = try cursor.string(prefix + "model")
            default: throw unknown(key.string, at: path)
            }
        }
        guard let text else { throw WireError("'\(prefix)content' is required.", param: prefix + "content") }
        item.input.value = .text(text)
        return item
    }

    /// A `Content`'s text parts, joined by newlines; any other part is refused.
    private static func readContent(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) -> String {
        try cursor.enterObject(path)
        var texts: [String] = []
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "role": _ = try cursor.string("\(path).role")
            case "parts":
                try cursor.enterArray("\(path).parts")
                var index = 0
                while try cursor.nextElement() {
                    let part = "\(path).parts[\(index)]"
                    try cursor.enterObject(part)
                    var text: String?
                    while let member = try cursor.nextMember() {
                        if cursor.skipNull() { continue }
                        guard member.matches("text") else {
                            throw WireError("'\(part)' must be a text part: only text can be embedded here.", param: part)
                        }
                        text = try cursor.string("\(part).text")
                    }
                    guard let text else { throw WireError("'\(part)' must be a text part.", param: part) }
                    texts.append(text)
                    index += 1
                }
            default: throw unknown(key.string, at: path)
            }
        }
        guard !texts.isEmpty else { throw WireError("'\(path).parts' must hold at least one text part.", param: "\(path).parts") }
        return texts.joined(separator: "\n")
    }

    private static func unknown(_ name: String, at path: String) -> WireError {
        let field = path.isEmpty ? name : "\(path).\(name)"
        let quoted = EmbeddingLimits.quoted(field)
        return WireError("Unknown field '\(quoted)'.", param: quoted)
    }
}
