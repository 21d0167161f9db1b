@testable import EdgeRouter
import NIOCore
import Testing

/// HTTP/1.1 chunks framed in place, in the room left before a body (``ChunkFraming``).
@Suite("Chunk framing in place")
struct ChunkFramingTests {
    static func framed(_ bytes: [UInt8]) -> (framed: Bool, wire: String) {
        var buffer = ByteBuffer()
        ChunkFraming.reserve(in: &buffer)
        buffer.writeBytes(bytes)
        let framed = ChunkFraming.frame(&buffer)
        return (framed, String(buffer: buffer))
    }

    @Test("a chunk is its length in lowercase hexadecimal without leading zeros, CRLF, the data, CRLF")
    func sizes() {
        for length in [1, 9, 10, 15, 16, 255, 256, 4095, 65_536, 1_000_003] {
            let data = [UInt8](repeating: UInt8(ascii: "x"), count: length)
            let (framed, wire) = Self.framed(data)
            #expect(framed)
            #expect(wire == String(length, radix: 16) + "\r\n" + String(repeating: "x", count: length) + "\r\n")
        }
    }

    @Test("an empty body is not framed (an empty chunk would end the answer), nor one without room before it")
    func refusals() {
        #expect(Self.framed([]) == (false, ""))
        var bare = ByteBuffer(string: "data")
        #expect(!ChunkFraming.frame(&bare))
        #expect(String(buffer: bare) == "data")
    }

    @Test("a buffer reserved again after its chunk was written out starts empty, and frames its next chunk alone")
    func reuse() {
        var buffer = ByteBuffer()
        ChunkFraming.reserve(in: &buffer)
        buffer.writeString("first")
        #expect(ChunkFraming.frame(&buffer))
        let written = buffer  // what NIO holds until it is written
        ChunkFraming.reserve(in: &buffer)
        #expect(buffer.readableBytes == 0)
        buffer.writeString("second!")
        #expect(ChunkFraming.frame(&buffer))
        #expect(String(buffer: written) == "5\r\nfirst\r\n")
        #expect(String(buffer: buffer) == "7\r\nsecond!\r\n")
    }
}
