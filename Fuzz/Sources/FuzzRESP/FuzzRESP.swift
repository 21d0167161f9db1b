import EdgeRouter
import NIOCore

// Fuzzes what the response cache reads from Redis: RESP2 replies, fed in two reads split at the first byte (so
// incomplete replies are seen too), and a bulk string's bytes read as a cached answer. Neither may trap; a reply
// the parser returns consumed at least one byte, and replies come out until the buffer is used up or incomplete.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    let parser = RESPParser()
    let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    var buffer = ByteBuffer()
    for piece in [bytes[..<split], bytes[split...]] {
        buffer.writeBytes(piece)
        while true {
            let before = buffer.readerIndex
            guard let value = try? parser.next(from: &buffer) else { break }
            if buffer.readerIndex <= before { fatalError("a reply consumed nothing: \(value)") }
            if case .bulkString(let payload?) = value { _ = CachedAnswerCoding.isReadable(payload) }
        }
    }
    _ = CachedAnswerCoding.isReadable(bytes)
    return 0
}
