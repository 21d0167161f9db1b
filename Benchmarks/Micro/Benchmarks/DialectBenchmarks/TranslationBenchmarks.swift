import Benchmark
import EdgeWire
import NIOCore

/// Each dialect's hot path per frame, side by side: the pass-through a provider of the client's own dialect takes
/// (decode the frame for accounting and first-token detection, write its bytes back as they came), and the
/// translation to every other client dialect (decode, then write the frame's events with the client's encoder).
/// One content token per frame, the frame a stream is mostly made of; allocation counts pinned in `Thresholds/`.
func translationBenchmarks() {
    let dialects: [(name: String, frame: SSEEvent, decoder: @Sendable () -> any ProviderStreamDecoder)] = [
        ("openai", SSEEvent(data: Fixtures.contentFrame), { OpenAIStreamDecoder() }),
        ("anthropic", SSEEvent(type: "content_block_delta", data: TranslationFixtures.anthropicContentFrame), { AnthropicStreamDecoder() }),
        ("gemini", SSEEvent(data: TranslationFixtures.geminiContentFrame), { GeminiStreamDecoder() }),
    ]
    for provider in dialects {
        Benchmark("PassThrough.\(provider.name).decodeAndWriteFrame") { benchmark in
            var decoder = provider.decoder()
            var output = ByteBuffer()
            output.reserveCapacity(1 << 16)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                guard case .frame(let frame) = try decoder.decode(provider.frame) else { continue }
                output.writeStaticString("data: ")
                output.writeBytes(frame.payload)
                output.writeStaticString("\n\n")
                output.clear()
            }
        }
        for client in dialects where client.name != provider.name {
            Benchmark("Translate.\(provider.name)To\(client.name.capitalized).decodeAndEncodeFrame") { benchmark in
                var decoder = provider.decoder()
                var encoder = TranslationFixtures.encoder(client.name)
                var output = ByteBuffer()
                output.reserveCapacity(1 << 16)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    guard case .frame(let frame) = try decoder.decode(provider.frame) else { continue }
                    for event in frame.events { encoder.encode(event, into: &output) }
                    output.clear()
                }
            }
        }
        // The Responses API has no provider of its own dialect behind the router: every frame is translated.
        Benchmark("Translate.\(provider.name)ToResponses.decodeAndEncodeFrame") { benchmark in
            var decoder = provider.decoder()
            var encoder = TranslationFixtures.responsesEncoder()
            var output = ByteBuffer()
            output.reserveCapacity(1 << 16)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                guard case .frame(let frame) = try decoder.decode(provider.frame) else { continue }
                for event in frame.events { encoder.encode(event, into: &output) }
                output.clear()
            }
        }
    }
    // A provider that speaks the Responses API natively (`dialect: openai-responses`): the per-frame cost of
    // passing its events on (decode for accounting and first-token detection, write the bytes back), beside its
    // translation to every client dialect through the neutral form (the path the router takes today).
    let responsesFrame = SSEEvent(type: "response.output_text.delta", data: TranslationFixtures.responsesContentFrame)
    // As the router passes an event on: the router's sequence number, and its response id, the client's `store` and
    // `previous_response_id` in place of the provider's.
    let rewrites: [(from: [UInt8], to: [UInt8])] = [
        (Array(#""store":false"#.utf8), Array(#""store":true"#.utf8)),
        (Array(#""previous_response_id":null"#.utf8), Array(#""previous_response_id":"resp_before""#.utf8)),
        (Array(#""resp_68af4030592c81938ec0a5fbab4a3e9f""#.utf8), Array(#""resp_x""#.utf8)),
    ]
    Benchmark("PassThrough.responses.decodeRewriteAndWriteFrame") { benchmark in
        var decoder = ResponsesStreamDecoder()
        var output = ByteBuffer()
        output.reserveCapacity(1 << 16)
        var sequence = 1
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            guard case .frame(let frame) = try decoder.decode(responsesFrame) else { continue }
            sequence += 1
            let payload = ResponsesPassThrough.rewrite(frame.payload, sequenceNumber: sequence, replacing: rewrites)
            output.writeStaticString("event: response.output_text.delta\ndata: ")
            output.writeBytes(payload)
            output.writeStaticString("\n\n")
            output.clear()
        }
    }
    for client in dialects.map(\.name) + ["responses"] {
        Benchmark("Translate.responsesTo\(client.capitalized).decodeAndEncodeFrame") { benchmark in
            var decoder = ResponsesStreamDecoder()
            var encoder: any ClientStreamEncoder =
                client == "responses" ? TranslationFixtures.responsesEncoder() : TranslationFixtures.encoder(client)
            var output = ByteBuffer()
            output.reserveCapacity(1 << 16)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                guard case .frame(let frame) = try decoder.decode(responsesFrame) else { continue }
                for event in frame.events { encoder.encode(event, into: &output) }
                output.clear()
            }
        }
    }
}

/// A content frame of each other dialect, as the providers' API references show them.
enum TranslationFixtures {
    static let anthropicContentFrame = Array(
        #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}"#.utf8)

    static let geminiContentFrame = Array(
        (#"{"candidates":[{"content":{"parts":[{"text":" world"}],"role":"model"},"index":0}],"#
            + #""usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":2,"totalTokenCount":11},"#
            + #""modelVersion":"gemini-2.5-flash","responseId":"mAitaLmkHPPlz7IPvtfUqQ4"}"#).utf8)

    /// A text delta of a Responses API stream, as OpenAI sends it.
    static let responsesContentFrame = Array(
        (#"{"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_68af4030592c81938ec0a5fbab4a3e9f05438e46b5f69a3b","#
            + #""output_index":0,"content_index":0,"delta":" world","logprobs":[]}"#).utf8)

    /// The Responses API's encoder, as the router makes it for a response (`resp_` and the request id).
    static func responsesEncoder() -> ResponsesStreamEncoder {
        ResponsesStreamEncoder(identity: ResponsesIdentity(responseID: "resp_x", itemBase: "x", model: "demo", createdAt: 1_700_000_000))
    }

    static func encoder(_ dialect: String) -> any ClientStreamEncoder {
        switch dialect {
        case "openai": OpenAIChunkEncoder(fallbackID: "chatcmpl-x", model: "demo", includeUsage: false)
        case "anthropic": AnthropicStreamEncoder(fallbackID: "x", model: "demo")
        default: GeminiStreamEncoder(framing: .sse, responseID: "x", modelVersion: "demo")
        }
    }
}
