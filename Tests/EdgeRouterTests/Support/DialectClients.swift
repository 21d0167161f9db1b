import Foundation

/// A client of one dialect in the router tests: the request it sends and how it reads the answer's text, with
/// Foundation's JSON parser (independent of the router's own codecs).
enum DialectClient: String, CaseIterable, Sendable, CustomStringConvertible {
    case openai, anthropic, gemini

    var description: String { rawValue }

    /// Path, headers and body of a chat request for `model`.
    func request(model: String, stream: Bool, key: String = RouterHarness.clientKey, prompt: String = "Say hello")
        -> (path: String, headers: [(String, String)], body: String)
    {
        switch self {
        case .openai:
            return (
                "/v1/chat/completions", [("authorization", "Bearer \(key)")],
                #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
            )
        case .anthropic:
            return (
                "/v1/messages", [("x-api-key", key), ("anthropic-version", "2023-06-01")],
                #"{"model":"\#(model)","max_tokens":256,"stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
            )
        case .gemini:
            let method = stream ? "streamGenerateContent?alt=sse" : "generateContent"
            return (
                "/v1beta/models/\(model):\(method)", [("x-goog-api-key", key)],
                #"{"contents":[{"role":"user","parts":[{"text":"\#(prompt)"}]}]}"#
            )
        }
    }

    /// The answer's text (no reasoning), read as this dialect's client reads it; nil when the body is not a
    /// well-formed answer of the dialect (a stream without its end, a body that is not JSON).
    func answerText(_ body: String, stream: Bool) -> String? {
        stream ? streamText(body) : wholeText(body)
    }

    private func wholeText(_ body: String) -> String? {
        guard let object = Self.object(body) else { return nil }
        switch self {
        case .openai:
            guard let choices = object["choices"] as? [[String: Any]], let message = choices.first?["message"] as? [String: Any]
            else { return nil }
            return message["content"] as? String ?? ""
        case .anthropic:
            guard object["type"] as? String == "message", let content = object["content"] as? [[String: Any]] else { return nil }
            return content.filter { $0["type"] as? String == "text" }.compactMap { $0["text"] as? String }.joined()
        case .gemini:
            return Self.geminiText(object)
        }
    }

    private func streamText(_ body: String) -> String? {
        let frames = Self.frames(body)
        switch self {
        case .openai:
            guard frames.last?.data == "[DONE]" else { return nil }
            return frames.dropLast().compactMap { frame -> String? in
                guard let object = Self.object(frame.data), let choices = object["choices"] as? [[String: Any]],
                    let delta = choices.first?["delta"] as? [String: Any]
                else { return nil }
                return delta["content"] as? String
            }.joined()
        case .anthropic:
            guard frames.first?.event == "message_start", frames.last?.event == "message_stop" else { return nil }
            return frames.compactMap { frame -> String? in
                guard frame.event == "content_block_delta", let object = Self.object(frame.data),
                    let delta = object["delta"] as? [String: Any], delta["type"] as? String == "text_delta"
                else { return nil }
                return delta["text"] as? String
            }.joined()
        case .gemini:
            guard !frames.isEmpty else { return nil }
            var text = ""
            for frame in frames {
                guard let object = Self.object(frame.data) else { return nil }
                text += Self.geminiText(object) ?? ""
            }
            return text
        }
    }

    /// The text parts (not thoughts) of a Gemini response's first candidate.
    static func geminiText(_ object: [String: Any]) -> String? {
        guard let candidates = object["candidates"] as? [[String: Any]] else { return nil }
        let content = candidates.first?["content"] as? [String: Any]
        let parts = content?["parts"] as? [[String: Any]] ?? []
        return parts.filter { $0["thought"] as? Bool != true }.compactMap { $0["text"] as? String }.joined()
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// The events of an SSE body: `event:` and the joined `data:` lines (CRLF or LF line ends).
    static func frames(_ body: String) -> [(event: String?, data: String)] {
        let normalized = body.replacingOccurrences(of: "\r\n", with: "\n")
        return normalized.components(separatedBy: "\n\n").compactMap { block in
            var event: String?
            var data: [String] = []
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            return data.isEmpty ? nil : (event, data.joined(separator: "\n"))
        }
    }

    /// The error of an error answer in this dialect's shape: its type (OpenAI `type`, Anthropic `error.type`,
    /// Gemini `status`) and message; nil when the body is not this dialect's error shape.
    func error(_ body: String) -> (type: String, message: String)? {
        guard let object = Self.object(body) else { return nil }
        switch self {
        case .openai:
            guard let error = object["error"] as? [String: Any], let type = error["type"] as? String,
                let message = error["message"] as? String
            else { return nil }
            return (type, message)
        case .anthropic:
            guard object["type"] as? String == "error", let error = object["error"] as? [String: Any],
                let type = error["type"] as? String, let message = error["message"] as? String
            else { return nil }
            return (type, message)
        case .gemini:
            guard let error = object["error"] as? [String: Any], error["code"] is Int, let status = error["status"] as? String,
                let message = error["message"] as? String
            else { return nil }
            return (status, message)
        }
    }
}
