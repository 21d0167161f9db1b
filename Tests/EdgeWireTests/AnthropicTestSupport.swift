@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// Loading the recorded Anthropic payloads and running streams through ``SSEParser`` and the decoder.
enum AnthropicTestSupport {
    /// What one SSE event decoded to, comparable.
    enum Outcome: Equatable {
        case frame(type: String?, events: [StreamEvent])
        case done
        case skip
    }

    /// The bytes of `Fixtures/anthropic/<name>`, from the test bundle, or beside this file when not bundled.
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = name.split(separator: ".", maxSplits: 1)
        let base = String(url.first ?? "")
        let ext = url.count > 1 ? String(url[1]) : nil
        if let bundled = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures/anthropic") {
            return Array(try Data(contentsOf: bundled))
        }
        let local = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/anthropic/\(name)")
        return Array(try Data(contentsOf: local))
    }

    /// Parses `bytes` as SSE, fed in pieces split at `splits`, and decodes every event with a fresh decoder.
    static func decode(_ bytes: [UInt8], splits: [Int] = []) throws -> (outcomes: [Outcome], finished: Bool) {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        var start = 0
        for split in splits + [bytes.count] where split >= start {
            try parser.parse(bytes[start..<split]) { events.append($0) }
            start = split
        }
        if let last = parser.finish() { events.append(last) }
        var decoder = AnthropicStreamDecoder()
        var outcomes: [Outcome] = []
        for event in events {
            switch try decoder.decode(event) {
            case .frame(let frame):
                #expect(frame.payload == event.data)
                outcomes.append(.frame(type: frame.eventType, events: frame.events))
            case .done: outcomes.append(.done)
            case .skip: outcomes.append(.skip)
            }
        }
        return (outcomes, decoder.isAnswerFinished)
    }

    /// The neutral events of all frames, in order.
    static func events(_ outcomes: [Outcome]) -> [StreamEvent] {
        outcomes.flatMap { outcome -> [StreamEvent] in
            if case .frame(_, let events) = outcome { return events }
            return []
        }
    }

    /// A JSON document parsed with Foundation, for comparing what the code under test wrote.
    static func json(_ bytes: some Sequence<UInt8>) -> NSDictionary? {
        try? JSONSerialization.jsonObject(with: Data(Array(bytes))) as? NSDictionary
    }

    /// A JSON value from literal text, for expectations.
    static func json(_ text: String) -> NSDictionary? {
        json(Array(text.utf8))
    }

    /// Text of a buffer.
    static func text(_ buffer: ByteBuffer) -> String {
        String(decoding: buffer.readableBytesView, as: UTF8.self)
    }
}
