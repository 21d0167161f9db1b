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
    /// Milliseconds between each frame's arrival from the provider and its predecessor's (the first 0), one per
    /// frame, each at most ``maxGapMs``: what a replay at the original pace waits. Nil when not recorded.
    let gapsMs: [UInt32]?
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
        providerDialect: Dialect, provider: String, upstreamModel: String, frames: [UpstreamFrame],
        gapsMs: [UInt32]? = nil, storedAtMs: Int64, costUSD: Double
    ) {
        self.providerDialect = providerDialect
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.frames = frames
        // Gaps that do not pair with the frames are not kept; each is bounded, whoever wrote it.
        let gaps = gapsMs.flatMap { $0.count == frames.count ? $0.map { min($0, Self.maxGapMs) } : nil }
        self.gapsMs = gaps
        self.storedAtMs = storedAtMs
        self.costUSD = costUSD
        self.bytes = frames.reduce(0) { $0 + Self.size(of: $1) } + 4 * (gaps?.count ?? 0)
    }

    /// The longest wait between two events replayed at the original pace: as long as the longest `replay_pacing_ms`,
    /// so that an entry (one from the shared tier included) never holds a client longer than that between events.
    static let maxGapMs: UInt32 = 10_000

    /// The recorded wait before frame `index`; zero when none was recorded.
    func gap(before index: Int) -> Duration {
        guard let gapsMs, gapsMs.indices.contains(index) else { return .zero }
        return .milliseconds(gapsMs[index])
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
