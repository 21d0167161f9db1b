import EdgeRouter
import NIOCore
import RoutingCore

// Fuzzes what the response cache reads from outside: RESP2 replies from Redis, fed in two reads split at the first
// byte (so incomplete replies are seen too), a bulk string's bytes read as a cached answer, and a client's request
// body made into a cache key (its canonical JSON). None may trap; a reply the parser returns consumed at least one
// byte, and replies come out until the buffer is used up or incomplete; a body's key is the same every time.

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
    let keys = (0..<2).map { _ in
        bytes.withUnsafeBufferPointer { body in
            CacheKey.make(tenant: "t", dialect: .openai, model: "m", passedOn: [], body: body)?.key
        }
    }
    if keys[0] != keys[1] { fatalError("one body, two keys: \(String(describing: keys))") }
    return 0
}
