import EdgeWire
import Probe
import RoutingCore

/// Finds the first content token in a probe's streamed body with the data plane's own SSE parser and the
/// provider dialect's decoder, so a probe's TTFT means exactly what a live request's does (OpenAI's role-only
/// chunk, Anthropic's `message_start` and `ping` are not tokens).
struct FirstTokenObserver: ProbeBodyObserver {
    private var parser = SSEParser()
    private var decoder: DialectStreamDecoder
    private var verdict = ProbeBodyVerdict.continue

    init(dialect: Dialect) {
        decoder = DialectStreamDecoder(dialect)
    }

    mutating func consume(_ bytes: UnsafeRawBufferPointer) -> ProbeBodyVerdict {
        verdict = .continue
        do {
            try parser.parse(bytes) { event in
                guard case .continue = verdict else { return }
                switch try decoder.decode(event) {
                case .frame(let frame):
                    if case .error(let message, _)? = frame.events.first {
                        verdict = .failed("the provider reported: \(message)")
                    } else if frame.hasContent {
                        verdict = .firstToken
                    }
                case .done:
                    verdict = .failed("the stream ended without a content token")
                case .skip:
                    break
                }
            }
        } catch {
            return .failed("the provider sent a malformed stream")
        }
        return verdict
    }
}
