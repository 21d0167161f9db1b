/// Where request records are kept: SQLite on the node (``SQLiteRequestStore``) by default.
///
/// Every method may be called from any task; a store serializes its own writes.
public protocol RequestStore: Sendable {
    /// Stores `batch` in one transaction. A record whose request id is already stored is skipped, so a replayed
    /// batch never duplicates a row.
    func insert(_ batch: [RequestRecord]) async throws(RequestLogError)

    /// Totals of requests, tokens and cost per group.
    func spend(_ query: SpendQuery) async throws(RequestLogError) -> [SpendRow]

    /// Records matching `query`, newest first.
    func requests(_ query: RequestQuery) async throws(RequestLogError) -> [RequestRecord]

    /// Cost per gateway key id of the requests received at or after `sinceMs` (Unix milliseconds).
    func costByKey(sinceMs: Int64) async throws(RequestLogError) -> [String: Double]

    /// Counts one more resume of the request's answer (a client came back after its record was written).
    func addResume(requestID: String) async throws(RequestLogError)

    /// Deletes the records received before `beforeMs`; returns how many went.
    func deleteRecords(receivedBefore beforeMs: Int64) async throws(RequestLogError) -> Int

    /// Keeps a Responses API response (replacing one with the same id).
    func saveResponse(_ response: StoredResponse) async throws(RequestLogError)

    /// Deletes the response `id` of key `keyID`, if kept; returns whether it was.
    @discardableResult
    func deleteResponse(id: String, keyID: String) async throws(RequestLogError) -> Bool

    /// The response `id` if key `keyID` made it and it is kept.
    func storedResponse(id: String, keyID: String) async throws(RequestLogError) -> StoredResponse?

    /// The newest `limit` kept responses, newest first.
    func storedResponses(limit: Int) async throws(RequestLogError) -> [StoredResponse]
}

/// Stores that do not keep Responses API responses (the PostgreSQL sink, so far): the router then keeps them in
/// memory only.
extension RequestStore {
    public func saveResponse(_ response: StoredResponse) async throws(RequestLogError) {}
    public func deleteResponse(id: String, keyID: String) async throws(RequestLogError) -> Bool { false }
    public func storedResponse(id: String, keyID: String) async throws(RequestLogError) -> StoredResponse? { nil }
    public func storedResponses(limit: Int) async throws(RequestLogError) -> [StoredResponse] { [] }
}
