@testable import EdgeJSON
@testable import EdgeWire
import Foundation

/// The OpenAI dialect as it was before the byte-level scanner and writer, on `JSONDecoder` and
/// `JSONSerialization`: the oracle of the differential tests. Kept as it was, but for its names.
enum LegacyFoundationDialect {
    struct Chunk: Decodable {
        struct Choice: Decodable {
            var index: Int?
            var delta: Delta?
            var finish_reason: String?
        }

        struct Delta: Decodable {
            var role: String?
            var content: String?
            var reasoning_content: String?
            var refusal: String?
            var tool_calls: [ToolCall]?
        }

        struct ToolCall: Decodable {
            struct Function: Decodable {
                var name: String?
                var arguments: String?
            }
            var index: Int?
            var id: String?
            var function: Function?
        }

        struct Usage: Decodable {
            var prompt_tokens: Int?
            var completion_tokens: Int?
        }

        struct ErrorBody: Decodable {
            var message: String?
            var type: String?
        }

        var id: String?
        var model: String?
        var created: Int?
        var choices: [Choice]?
        var usage: Usage?
        var error: ErrorBody?
    }

    /// What the old decoder made of one frame: nil when it called the frame malformed.
    struct Frame: Equatable {
        var events: [StreamEvent]
        var isUsageOnly: Bool
    }

    struct Decoder {
        private let decoder = JSONDecoder()
        private var started = false

        mutating func decode(_ data: [UInt8]) -> Frame? {
            guard let chunk = try? decoder.decode(Chunk.self, from: Data(data)) else { return nil }
            var events: [StreamEvent] = []
            if let error = chunk.error {
                events.append(.error(message: error.message ?? "the provider reported an error", type: error.type))
                return Frame(events: events, isUsageOnly: false)
            }
            if !started, let id = chunk.id {
                started = true
                events.append(.start(id: id, model: chunk.model ?? "", created: chunk.created ?? 0))
            }
            let choices = chunk.choices ?? []
            for choice in choices {
                let index = choice.index ?? 0
                if let delta = choice.delta {
                    if let role = delta.role { events.append(.role(choice: index, role: role)) }
                    if let text = delta.reasoning_content, !text.isEmpty { events.append(.reasoning(choice: index, text: text)) }
                    if let text = delta.content, !text.isEmpty { events.append(.text(choice: index, text: text)) }
                    if let text = delta.refusal, !text.isEmpty { events.append(.refusal(choice: index, text: text)) }
                    for call in delta.tool_calls ?? [] {
                        events.append(
                            .toolCall(
                                choice: index, index: call.index ?? 0, id: call.id, name: call.function?.name,
                                arguments: call.function?.arguments ?? ""))
                    }
                }
                if let reason = choice.finish_reason { events.append(.finish(choice: index, reason: reason)) }
            }
            if let usage = chunk.usage {
                events.append(
                    .usage(TokenUsage(promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0)))
            }
            return Frame(events: events, isUsageOnly: choices.isEmpty && chunk.usage != nil)
        }
    }

    struct Assembler {
        private struct ChoiceState {
            var role = "assistant"
            var content = ""
            var refusal = ""
            var reasoning = ""
            var hasContent = false
            var toolCalls: [Int: (id: String, name: String, arguments: String)] = [:]
            var finishReason: String?
        }

        private var id = ""
        private var model = ""
        private var created = 0
        private var choices: [Int: ChoiceState] = [:]
        private var usage: TokenUsage?

        mutating func consume(_ event: StreamEvent) {
            switch event {
            case .start(let id, let model, let created):
                self.id = id
                self.model = model
                self.created = created
            case .role(let choice, let role):
                choices[choice, default: .init()].role = role
            case .text(let choice, let text):
                choices[choice, default: .init()].content += text
                choices[choice, default: .init()].hasContent = true
            case .refusal(let choice, let text):
                choices[choice, default: .init()].refusal += text
            case .reasoning(let choice, let text):
                choices[choice, default: .init()].reasoning += text
            case .toolCall(let choice, let index, let id, let name, let arguments):
                var call = choices[choice, default: .init()].toolCalls[index] ?? ("", "", "")
                if let id, !id.isEmpty { call.id = id }
                if let name, !name.isEmpty { call.name += name }
                call.arguments += arguments
                choices[choice, default: .init()].toolCalls[index] = call
            case .usage(let usage):
                self.usage = usage
            case .finish(let choice, let reason):
                choices[choice, default: .init()].finishReason = reason
            case .error, .reasoningSignature, .redactedReasoning:
                break
            }
        }

        func answerJSON(fallbackModel: String, fallbackID: String) -> [UInt8] {
            let orderedChoices = choices.keys.sorted().map { index -> [String: Any] in
                let state = choices[index]!
                var message: [String: Any] = [
                    "role": state.role,
                    "content": state.hasContent || (state.toolCalls.isEmpty && state.refusal.isEmpty) ? state.content : NSNull(),
                    "refusal": state.refusal.isEmpty ? NSNull() : state.refusal,
                    "annotations": [Any](),
                ]
                if !state.reasoning.isEmpty { message["reasoning_content"] = state.reasoning }
                if !state.toolCalls.isEmpty {
                    message["tool_calls"] = state.toolCalls.keys.sorted().map { key -> [String: Any] in
                        let call = state.toolCalls[key]!
                        return ["id": call.id, "type": "function", "function": ["name": call.name, "arguments": call.arguments]]
                    }
                }
                return [
                    "index": index,
                    "message": message,
                    "logprobs": NSNull(),
                    "finish_reason": state.finishReason.map { $0 as Any } ?? NSNull(),
                ]
            }
            var object: [String: Any] = [
                "id": id.isEmpty ? fallbackID : id,
                "object": "chat.completion",
                "created": created == 0 ? Int(Date().timeIntervalSince1970) : created,
                "model": model.isEmpty ? fallbackModel : model,
                "choices": orderedChoices,
            ]
            if let usage {
                object["usage"] = [
                    "prompt_tokens": usage.promptTokens,
                    "completion_tokens": usage.completionTokens,
                    "total_tokens": usage.totalTokens,
                    "prompt_tokens_details": ["cached_tokens": usage.cacheReadTokens],
                    "completion_tokens_details": ["reasoning_tokens": usage.reasoningTokens],
                ]
            }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data()
            return Array(data)
        }
    }

    /// The old request parse: the checks' verdict, and the upstream body it would have sent.
    struct Request {
        var model: String
        var stream: Bool
        var includeUsage: Bool
        var body: [String: Any]

        static func parse(_ bytes: [UInt8]) throws(WireError) -> Request {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
            } catch {
                throw WireError("The request body is not valid JSON.")
            }
            guard let body = object as? [String: Any] else {
                throw WireError("The request body must be a JSON object.")
            }
            guard let modelValue = body["model"] else {
                throw WireError("Missing required parameter: 'model'.", param: "model")
            }
            guard let model = modelValue as? String, !model.isEmpty else {
                throw WireError("'model' must be a non-empty string.", param: "model")
            }
            guard let messagesValue = body["messages"] else {
                throw WireError("Missing required parameter: 'messages'.", param: "messages")
            }
            guard let messages = messagesValue as? [Any], !messages.isEmpty else {
                throw WireError("'messages' must be a non-empty array.", param: "messages")
            }
            for (index, message) in messages.enumerated() {
                guard let message = message as? [String: Any] else {
                    throw WireError("'messages[\(index)]' must be an object.", param: "messages[\(index)]")
                }
                guard message["role"] is String else {
                    throw WireError(
                        "Missing required parameter: 'messages[\(index)].role'.", param: "messages[\(index)].role")
                }
            }
            let stream: Bool
            switch body["stream"] {
            case nil, is NSNull: stream = false
            case let value as Bool where isBoolean(body["stream"]): stream = value
            default: throw WireError("'stream' must be a boolean.", param: "stream")
            }
            var includeUsage = false
            if let options = body["stream_options"], !(options is NSNull) {
                guard let options = options as? [String: Any] else {
                    throw WireError("'stream_options' must be an object.", param: "stream_options")
                }
                if let flag = options["include_usage"] {
                    guard isBoolean(flag), let flag = flag as? Bool else {
                        throw WireError(
                            "'stream_options.include_usage' must be a boolean.",
                            param: "stream_options.include_usage")
                    }
                    includeUsage = flag
                }
            }
            return Request(model: model, stream: stream, includeUsage: includeUsage, body: body)
        }

        /// The upstream body as an object (the old code serialised exactly this).
        func upstreamObject(model upstreamModel: String) -> [String: Any] {
            var upstream = body
            upstream["model"] = upstreamModel
            upstream["stream"] = true
            var options = (body["stream_options"] as? [String: Any]) ?? [:]
            options["include_usage"] = true
            upstream["stream_options"] = options
            return upstream
        }

        static func isBoolean(_ value: Any?) -> Bool {
            guard let number = value as? NSNumber else { return false }
            return number.objCType.pointee == CChar(UInt8(ascii: "c"))
        }
    }
}
