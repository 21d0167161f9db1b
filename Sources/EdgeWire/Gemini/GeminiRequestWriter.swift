import EdgeJSON
import NIOCore

/// Writes a neutral ``ChatRequest`` as the `GenerateContentRequest` body for a Gemini provider (the caller puts the
/// model in the URL and picks `:streamGenerateContent?alt=sse`).
///
/// What Gemini cannot take is refused with a ``WireError`` naming the field: any field the client's reader listed
/// as untranslatable, an image by URL (Gemini takes images inline, or `gs://` and Files API URIs), a tool result
/// without the tool's name, tool-call arguments that are not a JSON object, images inside tool results, and
/// `parallel_tool_calls: false` (Gemini may always call several functions in one turn).
///
/// Reasoning parts (`thinking`, `redactedThinking`) are dropped: another provider's reasoning, and its signature,
/// cannot be replayed to Gemini, which reasons afresh each turn.
public enum GeminiRequestWriter {
    /// The request body.
    public static func body(for request: ChatRequest) throws(WireError) -> ByteBuffer {
        if let path = request.untranslatable.first {
            throw WireError("'\(path)' cannot be sent to a Gemini-dialect provider of this model.", param: path)
        }
        if request.parallelToolCalls == false {
            throw WireError(
                "'parallel_tool_calls: false' cannot be sent to a Gemini-dialect provider of this model: Gemini cannot turn parallel calls off.", param: "parallel_tool_calls")
        }
        var body = ByteBufferAllocator().buffer(capacity: 512)
        body.writeStaticString(#"{"contents":["#)
        var first = true
        for (index, message) in request.messages.enumerated() {
            var parts = ByteBufferAllocator().buffer(capacity: 128)
            let written = try writeParts(message.parts, message: index, into: &parts)
            // A turn left with no parts (only reasoning) is dropped: Gemini refuses a turn without parts.
            guard written > 0 else { continue }
            if !first { body.writeStaticString(",") }
            first = false
            body.writeStaticString(message.role == .assistant ? #"{"role":"model","parts":["# : #"{"role":"user","parts":["#)
            body.writeBuffer(&parts)
            body.writeStaticString("]}")
        }
        body.writeStaticString("]")
        if !request.system.isEmpty {
            body.writeStaticString(#","systemInstruction":{"parts":[{"text":"#)
            body.writeJSONString(request.system.joined(separator: "\n\n"))
            body.writeStaticString("}]}")
        }
        writeTools(request, into: &body)
        writeGenerationConfig(request, into: &body)
        body.writeStaticString("}")
        return body
    }

    /// Writes a message's parts; returns how many.
    private static func writeParts(_ parts: [ChatPart], message: Int, into out: inout ByteBuffer) throws(WireError) -> Int {
        var count = 0
        for (index, part) in parts.enumerated() {
            let path = "messages[\(message)].content[\(index)]"
            switch part {
            case .thinking, .redactedThinking:
                continue
            default:
                break
            }
            if count > 0 { out.writeStaticString(",") }
            count += 1
            switch part {
            case .text(let text):
                out.writeStaticString(#"{"text":"#)
                out.writeJSONString(text)
                out.writeStaticString("}")
            case .image(let source):
                try writeImage(source, path: path, into: &out)
            case .toolCall(_, let name, let arguments):
                let trimmed = arguments.utf8.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
                guard trimmed || GeminiJSON.isObject(Array(arguments.utf8)) else {
                    throw WireError("'\(path)': the tool call's arguments must be a JSON object.", param: path)
                }
                out.writeStaticString(#"{"functionCall":{"name":"#)
                out.writeJSONString(name)
                out.writeStaticString(#","args":"#)
                if trimmed { out.writeStaticString("{}") } else { out.writeString(arguments) }
                out.writeStaticString("}}")
            case .toolResult(_, let name, let content, let isError):
                guard !name.isEmpty else {
                    throw WireError("'\(path)': Gemini needs the name of the tool a result answers.", param: path)
                }
                var text = ""
                for piece in content {
                    guard case .text(let value) = piece else {
                        throw WireError("'\(path)': a tool result can only hold text for this provider.", param: path)
                    }
                    text += value
                }
                out.writeStaticString(#"{"functionResponse":{"name":"#)
                out.writeJSONString(name)
                out.writeStaticString(#","response":"#)
                // Gemini's `response` must be an object: a JSON object result goes as is, anything else wrapped.
                if !isError, GeminiJSON.isObject(Array(text.utf8)) {
                    out.writeString(text)
                } else {
                    out.writeStaticString(isError ? #"{"error":"# : #"{"result":"#)
                    out.writeJSONString(text)
                    out.writeStaticString("}")
                }
                out.writeStaticString("}}")
            case .thinking, .redactedThinking:
                break
            }
        }
        return count
    }

    private static func writeImage(_ source: ImageSource, path: String, into out: inout ByteBuffer) throws(WireError) {
        switch source {
        case .base64(let mediaType, let data):
            out.writeStaticString(#"{"inlineData":{"mimeType":"#)
            out.writeJSONString(mediaType)
            out.writeStaticString(#","data":"#)
            out.writeJSONString(data)
            out.writeStaticString("}}")
        case .url(let url):
            // Gemini fetches only Cloud Storage objects and its own uploaded files; other URLs must come inline.
            guard url.hasPrefix("gs://") || url.hasPrefix("https://generativelanguage.googleapis.com/") else {
                throw WireError(
                    "'\(path)': this provider takes images inline (base64 or a data: URL), not by URL.", param: path)
            }
            out.writeStaticString(#"{"fileData":{"#)
            if let mimeType = imageType(of: url) {
                out.writeStaticString(#""mimeType":"#)
                out.writeJSONString(mimeType)
                out.writeStaticString(",")
            }
            out.writeStaticString(#""fileUri":"#)
            out.writeJSONString(url)
            out.writeStaticString("}}")
        }
    }

    /// The image type a file name's extension names, if it is one Gemini reads.
    private static func imageType(of url: String) -> String? {
        guard let dot = url.lastIndex(of: ".") else { return nil }
        switch url[url.index(after: dot)...].lowercased() {
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "webp": return "image/webp"
        case "heic": return "image/heic"
        case "heif": return "image/heif"
        case "gif": return "image/gif"
        default: return nil
        }
    }
}
