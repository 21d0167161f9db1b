import EdgeJSON

/// One member of a JSON object as the client wrote it (key through value, no surrounding whitespace), for splicing
/// a body together from the client's own bytes (the OpenAI and Anthropic pass-through bodies).
struct JSONMember {
    var key: JSONScanner.StringSpan
    /// The offset just past the member's value.
    var end: Int
    /// The opening quote of the key.
    var start: Int { key.start &- 1 }

    /// The members whose key does not come again later: of duplicate keys the last wins, as the checks read them.
    static func lastOccurrences(_ members: [JSONMember], in bytes: UnsafeBufferPointer<UInt8>) -> [JSONMember] {
        if members.count < 2 { return members }
        var shadowed: [Bool]
        if members.count <= 16 {
            // Few keys: compare each with the later ones, without allocating strings for unescaped keys.
            shadowed = Array(repeating: false, count: members.count)
            for position in members.indices {
                var later = position &+ 1
                while later < members.count {
                    if sameKey(members[position].key, members[later].key, in: bytes) {
                        shadowed[position] = true
                        break
                    }
                    later &+= 1
                }
            }
        } else {
            // Keyed by the decoded bytes: `String` equality would merge keys that are only canonically equivalent.
            let keys = members.map { Array(JSONScanner.decode($0.key, in: bytes).utf8) }
            var last: [[UInt8]: Int] = [:]
            last.reserveCapacity(members.count)
            for (position, key) in keys.enumerated() { last[key] = position }
            if last.count == members.count { return members }
            shadowed = keys.indices.map { last[keys[$0]] != $0 }
        }
        guard shadowed.contains(true) else { return members }
        return members.indices.filter { !shadowed[$0] }.map { members[$0] }
    }

    private static func sameKey(_ a: JSONScanner.StringSpan, _ b: JSONScanner.StringSpan, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if !a.hasEscapes, !b.hasEscapes {
            return bytes[a.start..<a.end].elementsEqual(bytes[b.start..<b.end])
        }
        return JSONScanner.decode(a, in: bytes).utf8.elementsEqual(JSONScanner.decode(b, in: bytes).utf8)
    }
}
