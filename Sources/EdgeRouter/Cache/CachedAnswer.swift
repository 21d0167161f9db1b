import EdgeWire
import RoutingCore

/// A complete, successful answer as the cache keeps it: the winner's frames as its provider sent them (bytes, and
/// the neutral events decoded from them), so that a hit goes through the same ``ChatResponseWriter`` as a live
/// answer: streamed or assembled, whatever the request that filled it asked for, and re-encoded when the
/// provider's dialect is not the client's.
struct CachedAnswer: Sendable {
    /// The dialect of the provider whose frames these are.
    let providerDialect: Dialect
    /// The provider and model that answered, for the hit's headers and record.
    let provider: String
    let upstreamModel: String
    let frames: [UpstreamFrame]
    /// When the answer was stored (Unix milliseconds), for the hit's `age`.
    let storedAtMs: Int64
    /// What the answer cost when it was fetched: what each hit saves.
    let costUSD: Double
    /// The frames assembled once into the entry's client endpoint's whole answer (``assembled(for:)``): a
    /// non-streaming hit writes its answer from it rather than taking the frames apart again. Nil until then, and
    /// for the Responses API, whose answer carries each request's own identity.
    private(set) var assembly: AnswerAssembly?
    /// What the entry counts against the bounds: the frames' payload bytes, and the assembled answer's text.
    private(set) var bytes: Int

    init(
        providerDialect: Dialect, provider: String, upstreamModel: String, frames: [UpstreamFrame], storedAtMs: Int64,
        costUSD: Double
    ) {
        self.providerDialect = providerDialect
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.frames = frames
        self.storedAtMs = storedAtMs
        self.costUSD = costUSD
        self.bytes = frames.reduce(0) { $0 + Self.size(of: $1) }
    }

    /// This answer with its frames assembled for `endpoint`, the one every request under its key uses (the key
    /// holds the dialect and endpoint). Assembled as the writer would, so a hit's answer is the same either way.
    func assembled(for endpoint: ChatEndpoint) -> CachedAnswer {
        guard endpoint != .responses, assembly == nil else { return self }
        var assembly = AnswerAssembly(for: endpoint)
        let passThrough = endpoint.passesThrough(from: providerDialect)
        for frame in frames { assembly.consume(frame, passThrough: passThrough) }
        var answer = self
        answer.assembly = assembly
        answer.bytes += assembly.assembledBytes
        return answer
    }

    /// A frame's weight: its bytes, its event type, and a fixed allowance for its decoded events.
    static func size(of frame: UpstreamFrame) -> Int {
        frame.payload.count + (frame.eventType?.utf8.count ?? 0) + 64 * frame.events.count
    }
}
