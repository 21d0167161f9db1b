import EdgeJSON

/// The request's messages and their content blocks.
extension AnthropicRequestReader {
    /// Where the members of one content block are, found in a first walk: the block's `type` may come after the
    /// members it decides the meaning of.
    private struct BlockFields {
        var type: String?
        var text: JSONScanner.Mark?
        var source: JSONScanner.Mark?
        var id: JSONScanner.Mark?
        var name: JSONScanner.Mark?
        var input: JSONScanner.Mark?
        var toolUseID: JSONScanner.Mark?
        var content: JSONScanner.Mark?
        var isError: JSONScanner.Mark?
        var thinking: JSONScanner.Mark?
        var signature: JSONScanner.Mark?
        var data: JSONScanner.Mark?
    }

    /// The state of one walk over the messages: tool names by call id, for the results that name only the id.
    private struct Walk {
        var toolNames: [String: String] = [:]
        var untranslatable: [String]
    }

    static func readMessages(_ scanner: inout JSONScanner, untranslatable: inout [String]) throws(WireError) -> [ChatMessage] {
        try scanner.requireArray("messages")
        var walk = Walk(untranslatable: untranslatable)
        var messages: [ChatMessage] = []
        var index = 0
        while try scanner.element() {
            messages.append(try readMessage(&scanner, index: index, walk: &walk))
            index &+= 1
        }
        untranslatable = walk.untranslatable
        return messages
    }

    private static func readMessage(_ scanner: inout JSONScanner, index: Int, walk: inout Walk) throws(WireError) -> ChatMessage {
        let path = { "messages[\(index)]" }
        try scanner.requireObject(path())
        var role: ChatMessage.Role?
        var content: JSONScanner.Mark?
        while let key = try scanner.member() {
            switch key {
            case "role":
                let name = try scanner.requireString(path() + ".role")
                guard let value = ChatMessage.Role(rawValue: name) else {
                    throw WireError("\(path()).role: Input should be 'user' or 'assistant'.", param: path() + ".role")
                }
                role = value
            case "content":
                content = scanner.mark()
                try scanner.skipField()
            default: try scanner.skipField()
            }
        }
        guard let role else { throw WireError.required(path() + ".role") }
        guard let content else { throw WireError.required(path() + ".content") }
        var reader = scanner.resumed(at: content)
        if try reader.fieldKind() == .string {
            return ChatMessage(role: role, parts: [.text(try reader.requireString(path() + ".content"))])
        }
        try reader.requireArray(path() + ".content")
        var parts: [ChatPart] = []
        var block = 0
        while try reader.element() {
            let blockPath = { "messages[\(index)].content[\(block)]" }
            if let part = try readBlock(&reader, path: blockPath, walk: &walk, nested: false) { parts.append(part) }
            block &+= 1
        }
        return ChatMessage(role: role, parts: parts)
    }

    /// Reads one content block; nil for one listed as untranslatable. `nested` blocks (a tool result's content)
    /// may only be text or images.
    private static func readBlock(
        _ scanner: inout JSONScanner, path: () -> String, walk: inout Walk, nested: Bool
    ) throws(WireError) -> ChatPart? {
        try scanner.requireObject(path())
        var fields = BlockFields()
        while let key = try scanner.member() {
            if key.matches("type") {
                fields.type = try scanner.requireString(path() + ".type")
                continue
            }
            let mark = scanner.mark()
            switch key {
            case "text": fields.text = mark
            case "source": fields.source = mark
            case "id": fields.id = mark
            case "name": fields.name = mark
            case "input": fields.input = mark
            case "tool_use_id": fields.toolUseID = mark
            case "content": fields.content = mark
            case "is_error": fields.isError = mark
            case "thinking": fields.thinking = mark
            case "signature": fields.signature = mark
            case "data": fields.data = mark
            default: break
            }
            try scanner.skipField()
        }
        guard let type = fields.type else { throw WireError.required(path() + ".type") }
        // Each member is read from its mark, on a copy of the scanner (the marks belong to the same bytes).
        func string(_ mark: JSONScanner.Mark?, _ field: String) throws(WireError) -> String {
            guard let mark else { throw WireError.required(path() + "." + field) }
            var value = scanner.resumed(at: mark)
            return try value.requireString(path() + "." + field)
        }
        switch (type, nested) {
        case ("text", _):
            return .text(try string(fields.text, "text"))
        case ("image", _):
            guard let source = fields.source else { throw WireError.required(path() + ".source") }
            var value = scanner.resumed(at: source)
            guard let image = try readImageSource(&value, path: { path() + ".source" }) else {
                note(path() + ".source", in: &walk.untranslatable)
                return nil
            }
            return .image(image)
        case ("tool_use", false):
            let id = try string(fields.id, "id")
            let name = try string(fields.name, "name")
            guard let input = fields.input else { throw WireError.required(path() + ".input") }
            var value = scanner.resumed(at: input)
            guard try value.fieldKind() == .object else { throw WireError.mustBe("an object", path() + ".input") }
            let arguments = try value.rawValue()
            walk.toolNames[id] = name
            return .toolCall(id: id, name: name, arguments: String(decoding: arguments.bytes, as: UTF8.self))
        case ("tool_result", false):
            let id = try string(fields.toolUseID, "tool_use_id")
            var isError = false
            if let mark = fields.isError {
                var value = scanner.resumed(at: mark)
                if try !value.takeNull() { isError = try value.requireBool(path() + ".is_error") }
            }
            var content: [ChatPart] = []
            if let mark = fields.content {
                var value = scanner.resumed(at: mark)
                content = try readResultContent(&value, path: { path() + ".content" }, walk: &walk)
            }
            return .toolResult(id: id, name: walk.toolNames[id] ?? "", content: content, isError: isError)
        case ("thinking", false):
            let text = try string(fields.thinking, "thinking")
            var signature: String?
            if let mark = fields.signature {
                var value = scanner.resumed(at: mark)
                signature = try value.optionalString(path() + ".signature")
            }
            return .thinking(text: text, signature: signature)
        case ("redacted_thinking", false):
            return .redactedThinking(data: try string(fields.data, "data"))
        default:
            // Documents, search results, server tool blocks, blocks newer than this code.
            note(path(), in: &walk.untranslatable)
            return nil
        }
    }

    /// An image's `source`: `base64` (`media_type`, `data`) or `url`; nil for another kind (`file`).
    private static func readImageSource(_ scanner: inout JSONScanner, path: () -> String) throws(WireError) -> ImageSource? {
        try scanner.requireObject(path())
        var type: String?
        var mediaType: String?
        var data: String?
        var url: String?
        while let key = try scanner.member() {
            switch key {
            case "type": type = try scanner.requireString(path() + ".type")
            case "media_type": mediaType = try scanner.requireString(path() + ".media_type")
            case "data": data = try scanner.requireString(path() + ".data")
            case "url": url = try scanner.requireString(path() + ".url")
            default: try scanner.skipField()
            }
        }
        switch type {
        case "base64":
            guard let mediaType else { throw WireError.required(path() + ".media_type") }
            guard let data else { throw WireError.required(path() + ".data") }
            return .base64(mediaType: mediaType, data: data)
        case "url":
            guard let url else { throw WireError.required(path() + ".url") }
            return .url(url)
        case nil:
            throw WireError.required(path() + ".type")
        default:
            return nil
        }
    }

    /// A tool result's `content`: a string, or text and image blocks.
    private static func readResultContent(
        _ scanner: inout JSONScanner, path: () -> String, walk: inout Walk
    ) throws(WireError) -> [ChatPart] {
        switch try scanner.fieldKind() {
        case .null:
            _ = try scanner.takeNull()
            return []
        case .string:
            return [.text(try scanner.requireString(path()))]
        default:
            try scanner.requireArray(path())
            var parts: [ChatPart] = []
            var index = 0
            while try scanner.element() {
                let blockPath = { path() + "[\(index)]" }
                if let part = try readBlock(&scanner, path: blockPath, walk: &walk, nested: true) { parts.append(part) }
                index &+= 1
            }
            return parts
        }
    }
}
