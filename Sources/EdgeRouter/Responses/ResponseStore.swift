import EdgeWire
import Foundation
import NIOCore
import RequestLog
import Synchronization

/// The Responses API's stored responses (`store: true`, the default), kept by the router itself for
/// `GET`/`DELETE /v1/responses/{id}` and for `previous_response_id`, each scoped to the gateway key that made it:
/// another key's id is not found, the same as an unknown one.
///
/// Kept in memory within ``ResponsesSettings``' bounds (a count and bytes); past either the oldest are evicted
/// first. Entries are immutable once stored; lookups and stores take a lock briefly and never wait for I/O, so they
/// run on the event loop of the request that needs them. With a request log, every save and delete is also written
/// to its `responses` table in the background (``runPersistence(to:)``, in order), and the newest responses are
/// read back into memory at start-up (``load(from:)``): they survive a restart, within the same bounds. A response
/// this node does not hold in memory (another node of a fleet sharing PostgreSQL made it, or it was evicted) is read
/// from the log when asked for (``recall(id:keyID:)``) and kept in memory from then on.
final class ResponseStore: Sendable {
    /// One stored response.
    struct Entry: Sendable {
        let id: String
        let keyID: String
        /// The response object as `GET` returns it.
        let json: ByteBuffer
        /// The whole conversation up to and including this response's output, for a `previous_response_id`.
        let conversation: [ChatMessage]
        /// What the entry counts against ``ResponsesSettings/maxStoredBytes``.
        let bytes: Int
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Ids oldest first; deleted ones are skipped when met.
        var order: [String] = []
        var head = 0
        var bytes = 0
    }

    /// A change for the request log's table.
    private enum Change: Sendable {
        case save(StoredResponse)
        case delete(id: String, keyID: String)
    }

    let settings: ResponsesSettings
    private let state = Mutex(State())
    /// The request log that ``recall(id:keyID:)`` reads, once ``load(from:)`` has run.
    private let log = Mutex<(any RequestStore)?>(nil)
    /// Whether saves and deletes go to a request log (one is configured).
    private let persists: Bool
    private let changes: AsyncStream<Change>
    private let changesIn: AsyncStream<Change>.Continuation

    /// A store; `persists` when a request log will take its changes (``runPersistence(to:)``). Changes wait for the
    /// log in a queue of at most `max_stored` + 1: past that (a log far behind), the oldest are dropped, and those
    /// responses are in memory only.
    init(settings: ResponsesSettings, persists: Bool = false) {
        self.settings = settings
        self.persists = persists
        (changes, changesIn) = AsyncStream.makeStream(of: Change.self, bufferingPolicy: .bufferingNewest(settings.maxStored + 1))
    }

    /// Reads the newest stored responses of the request log into memory (at start-up, before any request).
    func load(from store: any RequestStore) async {
        log.withLock { $0 = store }
        guard let rows = try? await store.storedResponses(limit: settings.maxStored) else { return }
        for row in rows.reversed() {
            guard let conversation = try? OpenAIRequestReader.read(Array(row.conversation.utf8)).messages else { continue }
            keep(id: row.responseID, keyID: row.keyID, json: ByteBuffer(string: row.response), conversation: conversation)
        }
    }

    /// Whether a response missing from memory may be in the request log.
    var recallsFromLog: Bool { log.withLock { $0 != nil } }

    /// The response `id` if `keyID` made it: from memory, else from the request log (then kept in memory). A log
    /// that cannot be read answers nothing (a 404 for the client, as for an unknown id).
    func recall(id: String, keyID: String) async -> Entry? {
        if let entry = find(id: id, keyID: keyID) { return entry }
        guard let store = log.withLock({ $0 }), let row = try? await store.storedResponse(id: id, keyID: keyID),
            let conversation = try? OpenAIRequestReader.read(Array(row.conversation.utf8)).messages
        else { return nil }
        let json = ByteBuffer(string: row.response)
        keep(id: id, keyID: keyID, json: json, conversation: conversation)
        return Entry(id: id, keyID: keyID, json: json, conversation: conversation, bytes: 0)
    }

    /// Writes saves and deletes to the request log's table, in order, until ``finishPersistence()``. A write that
    /// fails leaves that response in memory only.
    func runPersistence(to store: any RequestStore) async {
        for await change in changes {
            switch change {
            case .save(let response): try? await store.saveResponse(response)
            case .delete(let id, let keyID): _ = try? await store.deleteResponse(id: id, keyID: keyID)
            }
        }
    }

    /// Ends ``runPersistence(to:)`` once what is queued is written.
    func finishPersistence() {
        changesIn.finish()
    }

    /// Keeps a response, evicting the oldest while either bound is passed. One larger than the byte bound alone is
    /// not kept.
    func save(id: String, keyID: String, json: ByteBuffer, conversation: [ChatMessage]) {
        guard keep(id: id, keyID: keyID, json: json, conversation: conversation), persists else { return }
        // The conversation goes to the log as an OpenAI chat body: one the OpenAI writer cannot carry (an image in a
        // tool result) stays in memory only.
        if let written = try? OpenAIRequestWriter.body(for: ChatRequest(model: "stored", messages: conversation), model: "stored") {
            changesIn.yield(
                .save(
                    StoredResponse(
                        responseID: id, keyID: keyID, createdAtMs: Int64(Date().timeIntervalSince1970 * 1000), response: String(buffer: json),
                        conversation: String(buffer: written))))
        }
    }

    /// Keeps a response in memory; false when it is larger than the byte bound alone.
    @discardableResult
    private func keep(id: String, keyID: String, json: ByteBuffer, conversation: [ChatMessage]) -> Bool {
        let bytes = json.readableBytes + Self.size(of: conversation) + id.utf8.count + keyID.utf8.count
        guard bytes <= settings.maxStoredBytes, settings.maxStored > 0 else { return false }
        let entry = Entry(id: id, keyID: keyID, json: json, conversation: conversation, bytes: bytes)
        state.withLock { state in
            if let old = state.entries.updateValue(entry, forKey: id) {
                state.bytes -= old.bytes
            } else {
                state.order.append(id)
            }
            state.bytes += bytes
            while state.entries.count > settings.maxStored || state.bytes > settings.maxStoredBytes, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                guard oldest != id, let evicted = state.entries.removeValue(forKey: oldest) else { continue }
                state.bytes -= evicted.bytes
            }
            // The order list drops what it has passed once that is half of it.
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
        return true
    }

    /// The response `id` if `keyID` made it.
    func find(id: String, keyID: String) -> Entry? {
        state.withLock { state in
            guard let entry = state.entries[id], entry.keyID == keyID else { return nil }
            return entry
        }
    }

    /// Deletes the response `id` if `keyID` made it, from memory and the request log; false when neither holds it.
    func delete(id: String, keyID: String) async -> Bool {
        if deleteInMemory(id: id, keyID: keyID) { return true }
        guard let store = log.withLock({ $0 }) else { return false }
        return (try? await store.deleteResponse(id: id, keyID: keyID)) ?? false
    }

    /// Deletes the response `id` from memory if `keyID` made it (and from the log, in the background).
    private func deleteInMemory(id: String, keyID: String) -> Bool {
        let deleted = state.withLock { state in
            guard let entry = state.entries[id], entry.keyID == keyID else { return false }
            state.entries[id] = nil
            state.bytes -= entry.bytes
            return true
        }
        if deleted, persists { changesIn.yield(.delete(id: id, keyID: keyID)) }
        return deleted
    }

    /// How many responses and bytes are kept.
    var usage: (count: Int, bytes: Int) {
        state.withLock { ($0.entries.count, $0.bytes) }
    }

    /// A conversation's size in bytes: its text and a little per part for the rest.
    static func size(of conversation: [ChatMessage]) -> Int {
        var total = 0
        for message in conversation {
            total &+= 16
            for part in message.parts {
                total &+= 32
                switch part {
                case .text(let text): total &+= text.utf8.count
                case .image(.base64(let type, let data)): total &+= type.utf8.count &+ data.utf8.count
                case .image(.url(let url)): total &+= url.utf8.count
                case .toolCall(let id, let name, let arguments): total &+= id.utf8.count &+ name.utf8.count &+ arguments.utf8.count
                case .toolResult(let id, let name, let content, _):
                    total &+= id.utf8.count &+ name.utf8.count &+ size(of: [ChatMessage(role: .user, parts: content)])
                case .thinking(let text, let signature): total &+= text.utf8.count &+ (signature?.utf8.count ?? 0)
                case .redactedThinking(let data): total &+= data.utf8.count
                }
            }
        }
        return total
    }
}
