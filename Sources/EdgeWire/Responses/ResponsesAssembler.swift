import EdgeJSON
import NIOCore

/// Who a Responses object is: its id, model and time, and the request fields it repeats.
public struct ResponsesIdentity: Sendable, Equatable {
    /// `resp_…`.
    public var responseID: String
    /// What output item ids are made from (`msg_<base>_<n>`).
    public var itemBase: String
    /// The model the client named.
    public var model: String
    /// Seconds since 1970.
    public var createdAt: Int
    public var previousResponseID: String?
    public var store: Bool
    public var echo: ResponsesEcho

    public init(
        responseID: String, itemBase: String, model: String, createdAt: Int, previousResponseID: String? = nil, store: Bool = true,
        echo: ResponsesEcho = ResponsesEcho()
    ) {
        self.responseID = responseID
        self.itemBase = itemBase
        self.model = model
        self.createdAt = createdAt
        self.previousResponseID = previousResponseID
        self.store = store
        self.echo = echo
    }
}

/// One output item of a response. A struct rather than an enum so that a delta is appended in place (an enum's
/// payload would be copied whole at every delta).
public struct ResponsesItem: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Reasoning, as its summary text (Anthropic's and Gemini's thinking, OpenAI-compatible `reasoning_content`).
        case reasoning
        /// The assistant's text.
        case message
        /// A call of a function tool; its text is the arguments' JSON text.
        case functionCall
    }

    public var kind: Kind
    public var id: String
    /// The summary, the text or the arguments.
    public var text: String
    /// A function call's `call_id` and tool name.
    public var callID: String
    public var name: String

    public init(kind: Kind, id: String, text: String = "", callID: String = "", name: String = "") {
        self.kind = kind
        self.id = id
        self.text = text
        self.callID = callID
        self.name = name
    }

    public static func reasoning(id: String, summary: String) -> Self { Self(kind: .reasoning, id: id, text: summary) }
    public static func message(id: String, text: String) -> Self { Self(kind: .message, id: id, text: text) }
    public static func functionCall(id: String, callID: String, name: String, arguments: String) -> Self {
        Self(kind: .functionCall, id: id, text: arguments, callID: callID, name: name)
    }
}

/// What one event changed in the output, for the stream encoder: an item closed, an item opened (the last one),
/// text added to the last item. Each at most once per event, in that order.
public struct ResponsesChange: Sendable, Equatable {
    public var closed: Int?
    public var opened: Int?
    public var delta: String?

    public init(closed: Int? = nil, opened: Int? = nil, delta: String? = nil) {
        self.closed = closed
        self.opened = opened
        self.delta = delta
    }
}

/// Builds a Responses object from the neutral events of a stream: the state machine the stream encoder follows
/// (``consume(_:)`` says what changed), and the assembler of a non-streaming answer.
///
/// Items are opened in the order content comes: reasoning, text and each tool call (by its index) are items of
/// their own; an item closes when content of another item begins or the answer finishes. Only choice 0 is read
/// (a response has one). Refusals are written as text; Anthropic's signatures and redacted thinking are not
/// carried (no Responses field takes them back).
public struct ResponsesAssembler: ClientAnswerAssembler, Sendable {
    public let identity: ResponsesIdentity
    public private(set) var items: [ResponsesItem] = []
    /// The last item is still receiving content.
    public private(set) var lastIsOpen = false
    /// The tool call index of an open function call item.
    private var openToolIndex: Int?
    public private(set) var usage: TokenUsage?
    /// The neutral finish reason.
    public private(set) var finishReason: String?
    /// The provider's in-stream error, if any.
    public private(set) var failure: (message: String, code: String)?
    public private(set) var assembledBytes = 0

    public init(identity: ResponsesIdentity) {
        self.identity = identity
    }


    public mutating func consume(_ event: StreamEvent) {
        _ = apply(event)
    }

    /// Takes one event; returns what it changed.
    public mutating func apply(_ event: StreamEvent) -> ResponsesChange {
        switch event {
        case .reasoning(0, let text):
            return add(text, kind: .reasoning, toolIndex: nil, make: { .reasoning(id: "rs_\($0)", summary: "") })
        case .text(0, let text), .refusal(0, let text):
            return add(text, kind: .message, toolIndex: nil, make: { .message(id: "msg_\($0)", text: "") })
        case .toolCall(0, let index, let id, let name, let arguments):
            let base = identity.itemBase
            return add(
                arguments, kind: .functionCall, toolIndex: index,
                make: { suffix in
                    .functionCall(
                        id: "fc_\(suffix)", callID: id.flatMap { $0.isEmpty ? nil : $0 } ?? "call_\(base)_\(index)", name: name ?? "",
                        arguments: "")
                })
        case .usage(let figures):
            usage = figures
            return ResponsesChange()
        case .finish(0, let reason):
            finishReason = reason
            return ResponsesChange(closed: close())
        case .error(let message, let type):
            failure = (message, type ?? "server_error")
            return ResponsesChange(closed: close())
        default:
            return ResponsesChange()
        }
    }

    /// Closes the open item, if any; returns its index.
    public mutating func close() -> Int? {
        guard lastIsOpen else { return nil }
        lastIsOpen = false
        openToolIndex = nil
        return items.count - 1
    }

    /// Records an error that ended the stream (the router's, after the provider failed mid-answer).
    public mutating func fail(message: String, code: String) -> Int? {
        if failure == nil { failure = (message, code) }
        return close()
    }

    private mutating func add(_ text: String, kind: ResponsesItem.Kind, toolIndex: Int?, make: (String) -> ResponsesItem) -> ResponsesChange {
        var change = ResponsesChange()
        if !(lastIsOpen && items[items.count - 1].kind == kind && openToolIndex == toolIndex) {
            // Empty text opens nothing (a role chunk's empty content); a tool call's first fragment always opens.
            guard kind == .functionCall || !text.isEmpty else { return change }
            change.closed = close()
            let suffix = "\(identity.itemBase)_\(items.count)"
            items.append(make(suffix))
            lastIsOpen = true
            openToolIndex = toolIndex
            change.opened = items.count - 1
        }
        guard !text.isEmpty else { return change }
        items[items.count - 1].text += text
        assembledBytes &+= text.utf8.count
        change.delta = text
        return change
    }

    /// `completed`, `incomplete` (the token limit or a content filter stopped it) or `failed`.
    public var status: String {
        if failure != nil { return "failed" }
        switch finishReason {
        case FinishReason.length, FinishReason.contentFilter: return "incomplete"
        default: return "completed"
        }
    }

    /// The output as an assistant turn of the conversation, for a later `previous_response_id` (reasoning is left
    /// out: no provider takes unsigned reasoning back).
    public var outputMessage: ChatMessage? {
        var parts: [ChatPart] = []
        for item in items {
            switch item.kind {
            case .reasoning: break
            case .message: parts.append(.text(item.text))
            case .functionCall: parts.append(.toolCall(id: item.callID, name: item.name, arguments: item.text))
            }
        }
        return parts.isEmpty ? nil : ChatMessage(role: .assistant, parts: parts)
    }

    // MARK: JSON

    public func answerJSON(fallbackModel: String, fallbackID: String) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 1024 + assembledBytes)
        writeResponse(final: true, into: &buffer)
        return buffer
    }

    /// The response object: as it stands at the start (`in_progress`, no output) or finished.
    public func writeResponse(final: Bool, into out: inout ByteBuffer) {
        out.writeStaticString(#"{"id":"#)
        out.writeJSONString(identity.responseID)
        out.writeStaticString(#","object":"response","created_at":"#)
        out.writeJSONInteger(identity.createdAt)
        out.writeStaticString(#","status":"#)
        out.writeJSONString(final ? status : "in_progress")
        out.writeStaticString(#","background":false,"error":"#)
        if final, let failure {
            out.writeStaticString(#"{"code":"#)
            out.writeJSONString(failure.code == "server_error" || failure.code == "rate_limit_exceeded" ? failure.code : "server_error")
            out.writeStaticString(#","message":"#)
            out.writeJSONString(failure.message)
            out.writeStaticString("}")
        } else {
            out.writeStaticString("null")
        }
        out.writeStaticString(#","incomplete_details":"#)
        if final, failure == nil, finishReason == FinishReason.length {
            out.writeStaticString(#"{"reason":"max_output_tokens"}"#)
        } else if final, failure == nil, finishReason == FinishReason.contentFilter {
            out.writeStaticString(#"{"reason":"content_filter"}"#)
        } else {
            out.writeStaticString("null")
        }
        let echo = identity.echo
        out.writeStaticString(#","instructions":"#)
        if let instructions = echo.instructions { out.writeJSONString(instructions) } else { out.writeStaticString("null") }
        out.writeStaticString(#","max_output_tokens":"#)
        if let max = echo.maxOutputTokens { out.writeJSONInteger(max) } else { out.writeStaticString("null") }
        out.writeStaticString(#","metadata":"#)
        if let metadata = echo.metadata { out.writeCompactJSON(metadata.bytes) } else { out.writeStaticString("{}") }
        out.writeStaticString(#","model":"#)
        out.writeJSONString(identity.model)
        out.writeStaticString(#","output":["#)
        if final {
            for (index, item) in items.enumerated() {
                if index > 0 { out.writeStaticString(",") }
                Self.writeItem(item, status: "completed", into: &out)
            }
        }
        out.writeStaticString(#"],"parallel_tool_calls":"#)
        out.writeStaticString(echo.parallelToolCalls == false ? "false" : "true")
        out.writeStaticString(#","previous_response_id":"#)
        if let previous = identity.previousResponseID { out.writeJSONString(previous) } else { out.writeStaticString("null") }
        out.writeStaticString(#","reasoning":{"effort":"#)
        if let effort = echo.reasoningEffort { out.writeJSONString(effort) } else { out.writeStaticString("null") }
        out.writeStaticString(#","summary":null},"store":"#)
        out.writeStaticString(identity.store ? "true" : "false")
        out.writeStaticString(#","temperature":"#)
        if let temperature = echo.temperature { out.writeBytes(temperature.bytes) } else { out.writeStaticString("null") }
        out.writeStaticString(#","text":"#)
        if let text = echo.text { out.writeCompactJSON(text.bytes) } else { out.writeStaticString(#"{"format":{"type":"text"}}"#) }
        out.writeStaticString(#","tool_choice":"#)
        if let choice = echo.toolChoice { out.writeCompactJSON(choice.bytes) } else { out.writeStaticString(#""auto""#) }
        out.writeStaticString(#","tools":"#)
        if let tools = echo.tools { out.writeCompactJSON(tools.bytes) } else { out.writeStaticString("[]") }
        out.writeStaticString(#","top_p":"#)
        if let topP = echo.topP { out.writeBytes(topP.bytes) } else { out.writeStaticString("null") }
        out.writeStaticString(#","truncation":"disabled","usage":"#)
        if final, let usage {
            Self.writeUsage(usage, into: &out)
        } else {
            out.writeStaticString("null")
        }
        out.writeStaticString(#","user":"#)
        if let user = echo.user { out.writeJSONString(user) } else { out.writeStaticString("null") }
        out.writeStaticString("}")
    }

    /// An output item; `status` is `in_progress` when it is announced, `completed` when it is done.
    public static func writeItem(_ item: ResponsesItem, status: StaticString, empty: Bool = false, into out: inout ByteBuffer) {
        out.writeStaticString(#"{"id":"#)
        out.writeJSONString(item.id)
        switch item.kind {
        case .reasoning:
            out.writeStaticString(#","type":"reasoning","summary":["#)
            if !empty {
                out.writeStaticString(#"{"type":"summary_text","text":"#)
                out.writeJSONString(item.text)
                out.writeStaticString("}")
            }
            out.writeStaticString("]}")
        case .message:
            out.writeStaticString(#","type":"message","status":""#)
            out.writeStaticString(status)
            out.writeStaticString(#"","role":"assistant","content":["#)
            if !empty { writeTextPart(item.text, into: &out) }
            out.writeStaticString("]}")
        case .functionCall:
            out.writeStaticString(#","type":"function_call","status":""#)
            out.writeStaticString(status)
            out.writeStaticString(#"","call_id":"#)
            out.writeJSONString(item.callID)
            out.writeStaticString(#","name":"#)
            out.writeJSONString(item.name)
            out.writeStaticString(#","arguments":"#)
            out.writeJSONString(empty ? "" : item.text)
            out.writeStaticString("}")
        }
    }

    /// An `output_text` content part.
    public static func writeTextPart(_ text: String, into out: inout ByteBuffer) {
        out.writeStaticString(#"{"type":"output_text","annotations":[],"logprobs":[],"text":"#)
        out.writeJSONString(text)
        out.writeStaticString("}")
    }

    /// Usage in the Responses API's terms (input tokens include cached ones, output tokens reasoning ones).
    public static func writeUsage(_ usage: TokenUsage, into out: inout ByteBuffer) {
        out.writeStaticString(#"{"input_tokens":"#)
        out.writeJSONInteger(usage.promptTokens)
        out.writeStaticString(#","input_tokens_details":{"cached_tokens":"#)
        out.writeJSONInteger(usage.cacheReadTokens)
        out.writeStaticString(#"},"output_tokens":"#)
        out.writeJSONInteger(usage.completionTokens)
        out.writeStaticString(#","output_tokens_details":{"reasoning_tokens":"#)
        out.writeJSONInteger(usage.reasoningTokens)
        out.writeStaticString(#"},"total_tokens":"#)
        out.writeJSONInteger(usage.totalTokens)
        out.writeStaticString("}")
    }
}
