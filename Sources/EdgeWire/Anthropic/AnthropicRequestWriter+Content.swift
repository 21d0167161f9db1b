import EdgeJSON
import NIOCore

/// Messages, content blocks and tools, as the Messages API takes them.
extension AnthropicRequestWriter {
    /// Writes one message, unless none of its parts can go to Anthropic (then nothing, not even the comma).
    static func writeMessage(_ message: ChatMessage, index: Int, first: inout Bool, into body: inout ByteBuffer) throws(WireError) {
        guard message.parts.contains(where: isWritable) else { return }
        if !first { body.writeStaticString(",") }
        first = false
        body.writeStaticString(#"{"role":"#)
        body.writeJSONString(message.role.rawValue)
        body.writeStaticString(#","content":["#)
        var firstBlock = true
        var toolCall = 0
        for part in message.parts where isWritable(part) {
            if !firstBlock { body.writeStaticString(",") }
            firstBlock = false
            switch part {
            case .toolCall(let id, let name, let arguments):
                body.writeStaticString(#"{"type":"tool_use","id":"#)
                body.writeJSONString(id)
                body.writeStaticString(#","name":"#)
                body.writeJSONString(name)
                body.writeStaticString(#","input":"#)
                guard writeObject(arguments, into: &body) else {
                    let field = "messages[\(index)].tool_calls[\(toolCall)].function.arguments"
                    throw WireError("\(field) must be a JSON object to be sent to an Anthropic model.", param: field)
                }
                body.writeStaticString("}")
                toolCall &+= 1
            case .toolResult(let id, _, let content, let isError):
                body.writeStaticString(#"{"type":"tool_result","tool_use_id":"#)
                body.writeJSONString(id)
                body.writeStaticString(#","content":["#)
                var firstPiece = true
                for piece in content {
                    switch piece {
                    case .text, .image:
                        if !firstPiece { body.writeStaticString(",") }
                        firstPiece = false
                        writeBlock(piece, into: &body)
                    default:
                        // Only text and images can be a tool's result in the Messages API.
                        continue
                    }
                }
                body.writeStaticString("]")
                if isError { body.writeStaticString(#","is_error":true"#) }
                body.writeStaticString("}")
            default:
                writeBlock(part, into: &body)
            }
        }
        body.writeStaticString("]}")
    }

    /// Whether a part becomes a block: unsigned thinking (another provider's) does not.
    private static func isWritable(_ part: ChatPart) -> Bool {
        if case .thinking(_, let signature) = part { return signature != nil }
        return true
    }

    /// A text, image, thinking or redacted thinking block.
    private static func writeBlock(_ part: ChatPart, into body: inout ByteBuffer) {
        switch part {
        case .text(let text):
            body.writeStaticString(#"{"type":"text","text":"#)
            body.writeJSONString(text)
            body.writeStaticString("}")
        case .image(.base64(let mediaType, let data)):
            body.writeStaticString(#"{"type":"image","source":{"type":"base64","media_type":"#)
            body.writeJSONString(mediaType)
            body.writeStaticString(#","data":"#)
            body.writeJSONString(data)
            body.writeStaticString("}}")
        case .image(.url(let url)):
            body.writeStaticString(#"{"type":"image","source":{"type":"url","url":"#)
            body.writeJSONString(url)
            body.writeStaticString("}}")
        case .thinking(let text, let signature):
            body.writeStaticString(#"{"type":"thinking","thinking":"#)
            body.writeJSONString(text)
            body.writeStaticString(#","signature":"#)
            body.writeJSONString(signature ?? "")
            body.writeStaticString("}")
        case .redactedThinking(let data):
            body.writeStaticString(#"{"type":"redacted_thinking","data":"#)
            body.writeJSONString(data)
            body.writeStaticString("}")
        case .toolCall, .toolResult:
            // Written by the caller, which knows the message's index for errors.
            break
        }
    }

    /// Writes `text` if it is one JSON object (an empty text is `{}`); returns false, writing nothing, otherwise.
    static func writeObject(_ text: String, into body: inout ByteBuffer) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = JSONScanner(bytes)
            do {
                scanner.skipWhitespace()
                if scanner.offset == bytes.count {
                    body.writeStaticString("{}")
                    return true
                }
                guard try scanner.peekKind() == .object else { return false }
                let start = scanner.offset
                try scanner.skipValue()
                let end = scanner.offset
                try scanner.finish()
                body.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<end])))
                return true
            } catch {
                return false
            }
        }
    }

    /// `tools`: each with its schema, or an empty object schema when the tool takes no arguments.
    static func writeTools(_ tools: [ToolDefinition], into body: inout ByteBuffer) {
        body.writeStaticString(#","tools":["#)
        for (index, tool) in tools.enumerated() {
            if index > 0 { body.writeStaticString(",") }
            body.writeStaticString(#"{"name":"#)
            body.writeJSONString(tool.name)
            if let description = tool.description {
                body.writeStaticString(#","description":"#)
                body.writeJSONString(description)
            }
            body.writeStaticString(#","input_schema":"#)
            if let schema = tool.parameters {
                body.writeBytes(schema.bytes)
            } else {
                body.writeStaticString(#"{"type":"object"}"#)
            }
            body.writeStaticString("}")
        }
        body.writeStaticString("]")
    }

    /// `tool_choice`, with `disable_parallel_tool_use` when parallel calls are off (on `auto` if no choice was
    /// given; `none` takes no such flag).
    static func writeToolChoice(_ choice: ToolChoice?, parallel: Bool?, into body: inout ByteBuffer) {
        let disableParallel = parallel == false
        guard choice != nil || disableParallel else { return }
        switch choice ?? .auto {
        case .auto: body.writeStaticString(#","tool_choice":{"type":"auto""#)
        case .required: body.writeStaticString(#","tool_choice":{"type":"any""#)
        case .none:
            body.writeStaticString(#","tool_choice":{"type":"none"}"#)
            return
        case .tool(let name):
            body.writeStaticString(#","tool_choice":{"type":"tool","name":"#)
            body.writeJSONString(name)
        }
        if disableParallel { body.writeStaticString(#","disable_parallel_tool_use":true"#) }
        body.writeStaticString("}")
    }
}
