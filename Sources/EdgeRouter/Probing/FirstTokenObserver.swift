import EdgeWire
import Probe

/// Finds the first content token in a probe's streamed body with the data plane's own SSE parser and OpenAI
/// decoder, so a probe's TTFT means exactly what a live request's does (the role-only chunk is not a token).
struct FirstTokenObserver: ProbeBodyObserver {
    private var parser = SSEParser()
    private var decoder = OpenAIStreamDecoder()
    private var verdict = ProbeBodyVerdict.continue

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
