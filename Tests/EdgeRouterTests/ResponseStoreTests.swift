@testable import EdgeRouter
import EdgeWire
import Foundation
import NIOCore
import RequestLog
import Testing

/// The Responses API's in-memory store on its own: scoping by key, and its bounds.
@Suite("Responses store: keys and bounds", .timeLimit(.minutes(1)))
struct ResponseStoreTests {
    static func save(_ store: ResponseStore, _ id: String, key: String = "k", bytes: Int = 10) {
        store.save(id: id, keyID: key, json: ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes), conversation: [])
    }

    @Test("a response is found, and deleted, only by the key that made it")
    func scopedByKey() async {
        let store = ResponseStore(settings: ResponsesSettings())
        Self.save(store, "resp_a", key: "k1")
        #expect(store.find(id: "resp_a", keyID: "k1") != nil)
        #expect(store.find(id: "resp_a", keyID: "k2") == nil)
        #expect(await !store.delete(id: "resp_a", keyID: "k2"))
        #expect(await store.delete(id: "resp_a", keyID: "k1"))
        #expect(store.find(id: "resp_a", keyID: "k1") == nil && store.usage.count == 0 && store.usage.bytes == 0)
    }

    @Test("past max_stored the oldest responses are evicted first; a deleted one is skipped")
    func countBound() async {
        let store = ResponseStore(settings: ResponsesSettings(maxStored: 3, maxStoredBytes: 1 << 20))
        for index in 0..<3 { Self.save(store, "r\(index)") }
        #expect(await store.delete(id: "r1", keyID: "k"))
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

    @Test(
        "with a request log, a response another node saved (not in this store's memory) is recalled by its key only, then kept in memory; deleting one only the log holds deletes it there"
    )
    func recallsFromTheLog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("responses-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try SQLiteRequestStore(path: directory.appendingPathComponent("log.sqlite").path)
        let store = ResponseStore(settings: ResponsesSettings(), persists: true)
        await store.load(from: log)
        #expect(store.recallsFromLog)
        // Written by another node sharing the log, after this one started.
        let conversation = #"{"model":"stored","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#
        for id in ["resp_other", "resp_gone"] {
            try await log.saveResponse(
                StoredResponse(responseID: id, keyID: "k1", createdAtMs: 1, response: #"{"id":"\#(id)"}"#, conversation: conversation))
        }
        #expect(store.find(id: "resp_other", keyID: "k1") == nil)
        #expect(await store.recall(id: "resp_other", keyID: "k2") == nil)
        let recalled = await store.recall(id: "resp_other", keyID: "k1")
        #expect(recalled.map { String(buffer: $0.json) } == #"{"id":"resp_other"}"#)
        #expect(recalled?.conversation.count == 2)
        #expect(store.find(id: "resp_other", keyID: "k1") != nil)
        #expect(await !store.delete(id: "resp_gone", keyID: "k2"))
        #expect(await store.delete(id: "resp_gone", keyID: "k1"))
        #expect(try await log.storedResponse(id: "resp_gone", keyID: "k1") == nil)
        #expect(await store.recall(id: "resp_gone", keyID: "k1") == nil)
    }
}
