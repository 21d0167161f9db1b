import Benchmark
import EdgeWire
import Foundation

/// The OpenAI dialect's hot path, each beside the Foundation code it replaced (`FoundationBaseline`): SSE framing,
/// decoding one chunk of each kind, assembling and writing a 64-token non-streaming answer, and checking a request
/// and writing its upstream body.
///
/// Each measured iteration runs the operation 1,000 times (`scalingFactor: .kilo`) and `mallocCountTotal` counts
/// every allocation of those 1,000 operations; the tool's tables show figures per operation (the metrics marked
/// `*`; `--scale` shows them per iteration), the threshold files the counts per iteration. The committed
/// thresholds hold the allocation counts of the new code (p90, exact): a change that allocates more fails
/// `swift package benchmark thresholds check --target DialectBenchmarks`.
///
/// The names have no spaces: benchmark 1.38.1 writes threshold files with spaces turned into underscores but
/// looks them up by the name as it is, so a name with a space never finds its thresholds.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])])

    // As `UpstreamCall` feeds it: the readable bytes of each buffer async-http-client hands over.
    Benchmark("SSEParser.parse(contentFrame)") { benchmark in
        var parser = SSEParser()
        try Fixtures.contentEvent.withUnsafeBytes { bytes in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try parser.parse(bytes) { blackHole($0) }
            }
            benchmark.stopMeasurement()
        }
    }

    let frames: [(name: String, payload: [UInt8], first: Bool)] = [
        ("roleChunk", Fixtures.roleFrame, true),
        ("contentDelta", Fixtures.contentFrame, false),
        ("finishChunk", Fixtures.finishFrame, false),
        ("usageChunk", Fixtures.usageFrame, false),
    ]
    for frame in frames {
        let event = SSEEvent(data: frame.payload)
        // The role chunk opens a stream, so it is decoded by a new decoder (and yields the `start` event); the
        // others by one that has seen it, as in a stream.
        Benchmark("OpenAIChunk.decode(\(frame.name)).scanner") { benchmark in
            var decoder = OpenAIStreamDecoder()
            if !frame.first { _ = try decoder.decode(SSEEvent(data: Fixtures.roleFrame)) }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                if frame.first { decoder = OpenAIStreamDecoder() }
                blackHole(try decoder.decode(event))
            }
        }
        Benchmark("OpenAIChunk.decode(\(frame.name)).foundationJSONDecoder") { benchmark in
            var decoder = FoundationBaseline.Decoder()
            if !frame.first { _ = try decoder.decode(SSEEvent(data: Fixtures.roleFrame)) }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                if frame.first { decoder = FoundationBaseline.Decoder() }
                blackHole(try decoder.decode(event))
            }
        }
    }

    Benchmark("OpenAICompletion.assembleAndWrite(64tokens).byteBufferWriter") { benchmark in
        for _ in benchmark.scaledIterations {
            var assembler = OpenAICompletionAssembler()
            for event in Fixtures.answerEvents { assembler.consume(event) }
            blackHole(assembler.answerJSON(fallbackModel: "gpt-4o", fallbackID: "chatcmpl-x"))
        }
    }

    Benchmark("OpenAICompletion.assembleAndWrite(64tokens).foundationJSONSerialization") { benchmark in
        for _ in benchmark.scaledIterations {
            var assembler = FoundationBaseline.Assembler()
            for event in Fixtures.answerEvents { assembler.consume(event) }
            blackHole(assembler.answerJSON(fallbackModel: "gpt-4o", fallbackID: "chatcmpl-x"))
        }
    }

    Benchmark("OpenAIRequest.checkAndWriteUpstreamBody.scannerSplice") { benchmark in
        let body = Fixtures.request
        for _ in benchmark.scaledIterations {
            let request = try OpenAIChatRequest.parse(body)
            blackHole(request.upstreamBody(model: "gpt-4o-2024-08-06"))
        }
    }

    Benchmark("OpenAIRequest.checkAndWriteUpstreamBody.foundationJSONSerialization") { benchmark in
        let body = Fixtures.request
        for _ in benchmark.scaledIterations {
            let request = try FoundationBaseline.Request.parse(body)
            blackHole(try request.upstreamBody(model: "gpt-4o-2024-08-06"))
        }
    }

    translationBenchmarks()
}
