@testable import EdgeRouter
import EdgeWire
import NIOCore
import Testing

/// The Responses API's in-memory store on its own: scoping by key, and its bounds.
@Suite("Responses store: keys and bounds", .timeLimit(.minutes(1)))
struct ResponseStoreTests {
    static func save(_ store: ResponseStore, _ id: String, key: String = "k", bytes: Int = 10) {
        store.save(id: id, keyID: key, json: ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes), conversation: [])
    }

    @Test("a response is found, and deleted, only by the key that made it")
    func scopedByKey() {
        let store = ResponseStore(settings: ResponsesSettings())
        Self.save(store, "resp_a", key: "k1")
        #expect(store.find(id: "resp_a", keyID: "k1") != nil)
        #expect(store.find(id: "resp_a", keyID: "k2") == nil)
        #expect(!store.delete(id: "resp_a", keyID: "k2"))
        #expect(store.delete(id: "resp_a", keyID: "k1"))
        #expect(store.find(id: "resp_a", keyID: "k1") == nil && store.usage.count == 0 && store.usage.bytes == 0)
    }

    @Test("past max_stored the oldest responses are evicted first; a deleted one is skipped")
    func countBound() {
        let store = ResponseStore(settings: ResponsesSettings(maxStored: 3, maxStoredBytes: 1 << 20))
        for index in 0..<3 { Self.save(store, "r\(index)") }
        #expect(store.delete(id: "r1", keyID: "k"))
        for index in 3..<5 { Self.save(store, "r\(index)") }
        #expect(store.usage.count == 3)
        #expect(store.find(id: "r0", keyID: "k") == nil && store.find(id: "r1", keyID: "k") == nil)
        #expect(["r2", "r3", "r4"].allSatisfy { store.find(id: $0, keyID: "k") != nil })
    }

    @Test("past max_stored_bytes the oldest are evicted until the total fits; one larger than the bound is not kept")
    func byteBound() {
        let store = ResponseStore(settings: ResponsesSettings(maxStored: 1000, maxStoredBytes: 1000))
        for index in 0..<10 { Self.save(store, "r\(index)", bytes: 200) }
        #expect(store.usage.bytes <= 1000)
        #expect(store.find(id: "r9", keyID: "k") != nil && store.find(id: "r0", keyID: "k") == nil)
        Self.save(store, "huge", bytes: 5000)
        #expect(store.find(id: "huge", keyID: "k") == nil && store.find(id: "r9", keyID: "k") != nil)
    }

    @Test("10,000 saves past a 100-entry bound keep exactly the newest 100 and the order list compacted")
    func manySaves() {
        let store = ResponseStore(settings: ResponsesSettings(maxStored: 100, maxStoredBytes: 1 << 30))
        for index in 0..<10_000 { Self.save(store, "r\(index)") }
        #expect(store.usage.count == 100)
        #expect(store.find(id: "r9999", keyID: "k") != nil && store.find(id: "r9899", keyID: "k") == nil)
        #expect(store.find(id: "r9900", keyID: "k") != nil)
    }
}
