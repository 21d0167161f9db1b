@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// Loading the recorded Gemini payloads and running them through the decoder.
enum GeminiFixture {
    /// A fixture's bytes, from the test bundle (or beside this file when the bundle lacks it).
    static func bytes(_ name: String, _ ext: String) throws -> [UInt8] {
        if let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/gemini") {
            return Array(try Data(contentsOf: url))
        }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gemini/\(name).\(ext)")
        return Array(try Data(contentsOf: url))
    }

    static let streams = ["stream-text", "stream-function-call", "stream-thinking"]

    /// Every SSE event of a body, with the body split into the given chunks.
    static func events(_ chunks: [ArraySlice<UInt8>]) throws -> [SSEEvent] {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        for chunk in chunks { try parser.parse(chunk) { events.append($0) } }
        if let last = parser.finish() { events.append(last) }
        return events
    }

    /// The neutral events of a stream body, frame by frame.
    static func decode(_ body: [UInt8]) throws -> [[StreamEvent]] {
        try decode(events([body[...]]))
    }

    static func decode(_ events: [SSEEvent]) throws -> [[StreamEvent]] {
        var decoder = GeminiStreamDecoder()
        var frames: [[StreamEvent]] = []
        for event in events {
            switch try decoder.decode(event) {
            case .frame(let frame): frames.append(frame.events)
            case .done: Issue.record("a Gemini stream has no end marker")
            case .skip: break
            }
        }
        return frames
    }

    static func string(_ buffer: ByteBuffer) -> String {
        String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    static func json(_ bytes: some Sequence<UInt8>) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes))
    }
}

/// What a stream says, whatever its framing: per choice, its text, reasoning, calls and finish reason; and usage.
struct GeminiContent: Equatable {
    struct Call: Equatable {
        var id: String
        var name: String
        /// The arguments, parsed and written again with sorted keys, so spacing does not matter.
        var arguments: String
    }

    var text: [Int: String] = [:]
    var reasoning: [Int: String] = [:]
    var calls: [Int: [Call]] = [:]
    var finish: [Int: String] = [:]
    var usage: [TokenUsage] = []

    init(_ events: [StreamEvent]) {
        var fragments: [Int: [Int: Call]] = [:]
        for event in events {
            switch event {
            case .text(let choice, let piece): text[choice, default: ""] += piece
            case .reasoning(let choice, let piece): reasoning[choice, default: ""] += piece
            case .toolCall(let choice, let index, let id, let name, let arguments):
                var call = fragments[choice]?[index] ?? Call(id: "", name: "", arguments: "")
                if let id { call.id = id }
                call.name += name ?? ""
                call.arguments += arguments
                fragments[choice, default: [:]][index] = call
            case .finish(let choice, let reason): finish[choice] = reason
            case .usage(let value): usage.append(value)
            default: break
            }
        }
        for (choice, byIndex) in fragments {
            calls[choice] = byIndex.keys.sorted().compactMap { byIndex[$0] }.map { call in
                var call = call
                if let object = GeminiFixture.json(Array(call.arguments.utf8)),
                    let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                {
                    call.arguments = String(decoding: data, as: UTF8.self)
                }
                return call
            }
        }
    }
}
