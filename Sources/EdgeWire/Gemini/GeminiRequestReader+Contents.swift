import EdgeJSON

/// Reading `contents`: the conversation, part by part.
extension GeminiRequestReader.State {
    mutating func readContents(_ cursor: inout GeminiBodyCursor) throws(WireError) {
        try cursor.enterArray("contents")
        var index = 0
        while try cursor.nextElement() {
            try readContent(&cursor, index: index)
            index += 1
        }
    }

    private mutating func readContent(_ cursor: inout GeminiBodyCursor, index: Int) throws(WireError) {
        let path = "contents[\(index)]"
        try cursor.enterObject(path)
        var role = ChatMessage.Role.user
        var parts: [ChatPart] = []
        var sawParts = false
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "role":
                switch try cursor.string("\(path).role") {
                // Gemini's older `function` role carries function responses: a user turn in neutral terms.
                case "user", "function", "": role = .user
                case "model": role = .assistant
                default:
                    throw WireError("'\(path).role' must be 'user' or 'model'.", param: "\(path).role")
                }
            case "parts":
                sawParts = true
                try cursor.enterArray("\(path).parts")
                var partIndex = 0
                while try cursor.nextElement() {
                    if let part = try readPart(&cursor, path: "\(path).parts[\(partIndex)]") { parts.append(part) }
                    partIndex += 1
                }
            default:
                try cursor.skip()
            }
        }
        guard sawParts else {
            throw WireError("Missing required parameter: '\(path).parts'.", param: "\(path).parts")
        }
        request.messages.append(ChatMessage(role: role, parts: parts))
    }

    /// The fields of one `Part`, before it is known which kind it is (they may come in any order).
    private struct PartFields {
        var text: String?
        var thought = false
        var signature: String?
        var inline: (mimeType: String, data: String)?
        var file: (mimeType: String?, uri: String)?
        var call: (name: String, args: [UInt8], id: String?)?
        var response: (name: String, body: [UInt8], id: String?)?
        /// A member with no neutral meaning (`executableCode`, `videoMetadata`, ...).
        var other = false

        var kinds: Int {
            (text == nil ? 0 : 1) + (inline == nil ? 0 : 1) + (file == nil ? 0 : 1) + (call == nil ? 0 : 1)
                + (response == nil ? 0 : 1)
        }
    }

    /// One part; nil when it carries nothing (an empty text with only a signature).
    private mutating func readPart(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) -> ChatPart? {
        try cursor.enterObject(path)
        var fields = PartFields()
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "text": fields.text = try cursor.string("\(path).text")
            case "thought": fields.thought = try cursor.bool("\(path).thought")
            case "thoughtSignature": fields.signature = try cursor.string("\(path).thoughtSignature")
            case "inlineData": fields.inline = try Self.readBlob(&cursor, path: "\(path).inlineData")
            case "fileData": fields.file = try Self.readFileData(&cursor, path: "\(path).fileData")
            case "functionCall": fields.call = try Self.readCall(&cursor, path: "\(path).functionCall")
            case "functionResponse": fields.response = try Self.readResponse(&cursor, path: "\(path).functionResponse")
            default:
                fields.other = true
                try cursor.skip()
            }
        }
        guard !fields.other, fields.kinds <= 1 else {
            untranslatable(path)
            return nil
        }
        if let text = fields.text {
            if fields.thought { return .thinking(text: text, signature: fields.signature) }
            return text.isEmpty ? nil : .text(text)
        }
        if let inline = fields.inline {
            guard Self.isImage(inline.mimeType) else {
                untranslatable(path)
                return nil
            }
            return .image(.base64(mediaType: inline.mimeType, data: inline.data))
        }
        if let file = fields.file {
            guard let mimeType = file.mimeType, Self.isImage(mimeType) else {
                untranslatable(path)
                return nil
            }
            return .image(.url(file.uri))
        }
        if let call = fields.call {
            let id = call.id ?? "call_\(callCount)"
            callCount += 1
            unanswered.append((id, call.name))
            return .toolCall(id: id, name: call.name, arguments: String(decoding: call.args, as: UTF8.self))
        }
        if let response = fields.response {
            return .toolResult(
                id: answer(id: response.id, name: response.name), name: response.name,
                content: [.text(String(decoding: response.body, as: UTF8.self))], isError: false)
        }
        // A part with no data at all (`{}`, or only a signature): nothing to translate.
        return nil
    }

    /// The call a response answers: its own id, else the earliest unanswered call of that name (empty if none).
    private mutating func answer(id: String?, name: String) -> String {
        if let id {
            if let position = unanswered.firstIndex(where: { $0.id == id }) { unanswered.remove(at: position) }
            return id
        }
        guard let position = unanswered.firstIndex(where: { $0.name == name }) else { return "" }
        return unanswered.remove(at: position).id
    }

    private static func isImage(_ mimeType: String) -> Bool {
        mimeType.utf8.starts(with: "image/".utf8)
    }

    private static func readBlob(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) -> (String, String) {
        try cursor.enterObject(path)
        var mimeType = ""
        var data = ""
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "mimeType": mimeType = try cursor.string("\(path).mimeType")
            case "data": data = try cursor.string("\(path).data")
            default: try cursor.skip()
            }
        }
        return (mimeType, data)
    }

    private static func readFileData(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) -> (String?, String) {
        try cursor.enterObject(path)
        var mimeType: String?
        var uri = ""
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "mimeType": mimeType = try cursor.string("\(path).mimeType")
            case "fileUri": uri = try cursor.string("\(path).fileUri")
            default: try cursor.skip()
            }
        }
        return (mimeType, uri)
    }

    private static func readCall(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) -> (String, [UInt8], String?) {
        try cursor.enterObject(path)
        var name = ""
        var args = Array("{}".utf8)
        var id: String?
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "name": name = try cursor.string("\(path).name")
            case "args": args = try cursor.rawObject("\(path).args")
            case "id": id = try cursor.string("\(path).id")
            default: try cursor.skip()
            }
        }
        return (name, args, id)
    }

    private static func readResponse(_ cursor: inout GeminiBodyCursor, path: String) throws(WireError) -> (String, [UInt8], String?) {
        try cursor.enterObject(path)
        var name = ""
        var body = Array("{}".utf8)
        var id: String?
        while let key = try cursor.nextMember() {
            if cursor.skipNull() { continue }
            switch key {
            case "name": name = try cursor.string("\(path).name")
            case "response": body = try cursor.rawObject("\(path).response")
            case "id": id = try cursor.string("\(path).id")
            default: try cursor.skip()
            }
        }
        return (name, body, id)
    }
}
