import EdgeWire
import RoutingCore

/// A cached answer as bytes, for the shared tier: a version byte; the provider's dialect, provider id and upstream
/// model; when it was stored and what it cost; then each frame's SSE event type and payload, as the provider sent
/// them; then (version 2) whether the gaps between the frames' arrivals were recorded, and if so each gap.
/// Reading decodes the frames again with the dialect's own stream decoder, so that what comes back from Redis
/// (outside input: fuzzed in `FuzzRESP`) is checked as strictly as a provider's stream. Version 1 entries (written
/// before gaps were recorded) still read, without gaps; a node of that version reads version 2 entries as misses.
public enum CachedAnswerCoding {
    static let version: UInt8 = 2
    /// The most frames an entry may have: bounds what a corrupt entry can make the reader allocate.
    static let maxFrames = 1 << 20

    static func encode(_ answer: CachedAnswer) -> [UInt8] {
        var out: [UInt8] = [version]
        out.reserveCapacity(answer.bytes + 64)
        func string(_ text: String) {
            let bytes = Array(text.utf8)
            integer(UInt64(bytes.count))
            out.append(contentsOf: bytes)
        }
        func integer(_ value: UInt64) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        string(answer.providerDialect.rawValue)
        string(answer.provider)
        string(answer.upstreamModel)
        integer(UInt64(bitPattern: answer.storedAtMs))
        integer(answer.costUSD.bitPattern)
        integer(UInt64(answer.frames.count))
        for frame in answer.frames {
            if let type = frame.eventType {
                out.append(1)
                string(type)
            } else {
                out.append(0)
            }
            integer(UInt64(frame.payload.count))
            out.append(contentsOf: frame.payload)
        }
        if let gaps = answer.gapsMs {
            out.append(1)
            for gap in gaps { withUnsafeBytes(of: gap.littleEndian) { out.append(contentsOf: $0) } }
        } else {
            out.append(0)
        }
        return out
    }

    /// The answer in `bytes`, or nil when they are not one this version wrote (or its frames do not decode).
    static func decode(_ bytes: [UInt8]) -> CachedAnswer? {
        var reader = Reader(bytes: bytes)
        guard let read = reader.byte(), read == 1 || read == version,
            let dialectName = reader.string(), let dialect = Dialect(rawValue: dialectName),
            let provider = reader.string(), let upstreamModel = reader.string(),
            let storedAt = reader.integer(), let costBits = reader.integer(), let count = reader.integer(),
            count <= UInt64(maxFrames)
        else { return nil }
        var decoder = DialectStreamDecoder(dialect)
        var frames: [UpstreamFrame] = []
        for _ in 0..<Int(count) {
            guard let hasType = reader.byte(), hasType <= 1 else { return nil }
            var type: String?
            if hasType == 1 {
                guard let read = reader.string() else { return nil }
                type = read
            }
            guard let length = reader.integer(), let payload = reader.bytes(length) else { return nil }
            guard let decoded = try? decoder.decode(SSEEvent(type: type, data: payload)) else { return nil }
            switch decoded {
            case .frame(let frame): frames.append(frame)
            case .done, .skip: return nil  // never stored: only frames are
            }
        }
        var gaps: [UInt32]?
        if read >= 2 {
            guard let recorded = reader.byte(), recorded <= 1 else { return nil }
            if recorded == 1 {
                var values: [UInt32] = []
                values.reserveCapacity(frames.count)
                for _ in frames.indices {
                    guard let gap = reader.integer(UInt32.self) else { return nil }
                    values.append(gap)
                }
                gaps = values
            }
        }
        guard reader.isAtEnd else { return nil }
        let cost = Double(bitPattern: costBits)
        return CachedAnswer(
            providerDialect: dialect, provider: provider, upstreamModel: upstreamModel, frames: frames, gapsMs: gaps,
            storedAtMs: Int64(bitPattern: storedAt), costUSD: cost.isFinite && cost >= 0 ? cost : 0)
    }

    /// Whether `bytes` read as an entry (for the fuzz target): never traps, whatever the bytes.
    public static func isReadable(_ bytes: [UInt8]) -> Bool {
        decode(bytes) != nil
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        /// A little-endian unsigned integer of `T`'s width (a `UInt64` unless said otherwise).
        mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = UInt64.self) -> T? {
            let width = MemoryLayout<T>.size
            guard bytes.count - offset >= width else { return nil }
            var value: T = 0
            for index in 0..<width { value |= T(bytes[offset + index]) << (8 * index) }
            offset += width
            return value
        }

        mutating func bytes(_ count: UInt64) -> [UInt8]? {
            guard count <= UInt64(bytes.count - offset) else { return nil }
            let length = Int(count)
            defer { offset += length }
            return Array(bytes[offset..<(offset + length)])
        }

        mutating func string() -> String? {
            guard let length = integer(), let raw = bytes(length) else { return nil }
            return String(decoding: raw, as: UTF8.self)
        }
    }
}
