import Foundation
import RequestLog
import Testing

/// Assertions every ``RequestStore`` must pass, run against SQLite and PostgreSQL alike; each starts from an
/// empty store.
enum StoreChecks {
    static let all: [@Sendable (any RequestStore) async throws -> Void] = [
        spendByMetadataAndModel, metadataValuesAsText, timeRangeAndKey, requestFilters,
    ]

    static func spendByMetadataAndModel(_ store: any RequestStore) async throws {
        try await store.insert([
            Sample.record(id: "1", model: "big", cost: 0.5, metadata: #"{"team":"search"}"#),
            Sample.record(id: "2", model: "big", cost: 0.25, metadata: #"{"team":"search"}"#),
            Sample.record(id: "3", model: "small", cost: 0.1, metadata: #"{"team":"search"}"#),
            Sample.record(id: "4", model: "big", cost: 1, metadata: #"{"team":"ads"}"#, status: 502, errorType: "all_providers_failed"),
            Sample.record(id: "5", model: "small", cost: 0.01, metadata: "{}"),
        ])
        let rows = try await store.spend(SpendQuery(groupBy: try SpendQuery.dimensions("metadata.team, model")))
        #expect(rows.map(\.group) == [["ads", "big"], ["search", "big"], ["search", "small"], [nil, "small"]])
        try #require(rows.count == 4)
        #expect(rows[1].requests == 2)
        #expect(abs(rows[1].costUSD - 0.75) < 1e-9)
        #expect(rows[1].tokens.input == 200 && rows[1].tokens.output == 100 && rows[1].tokens.cacheRead == 20)
        #expect(rows[0].errors == 1 && rows[1].errors == 0)
        let total = try await store.spend(SpendQuery())
        #expect(total.count == 1 && total.first?.requests == 5)
    }

    static func metadataValuesAsText(_ store: any RequestStore) async throws {
        try await store.insert([
            Sample.record(id: "1", metadata: #"{"userId":12345,"beta":true}"#),
            Sample.record(id: "2", metadata: #"{"userId":"12345","beta":false}"#),
        ])
        let byUser = try await store.spend(SpendQuery(groupBy: [.metadata("userId")]))
        #expect(byUser.map(\.group) == [["12345"]])
        #expect(byUser.first?.requests == 2)
        let byBeta = try await store.spend(SpendQuery(groupBy: [.metadata("beta")])).map(\.group)
        #expect(Set(byBeta.compactMap { $0.first ?? nil }) == ["true", "false"])
    }

    static func timeRangeAndKey(_ store: any RequestStore) async throws {
        try await store.insert([
            Sample.record(id: "old", at: 1_000, key: "k1"), Sample.record(id: "mid", at: 2_000, key: "k1"),
            Sample.record(id: "new", at: 3_000, key: "k2"),
        ])
        let ranged = try await store.spend(SpendQuery(groupBy: [.key], fromMs: 2_000, toMs: 3_000))
        #expect(ranged.map(\.group) == [["k1"]] && ranged.first?.requests == 1)
        let listed = try await store.requests(RequestQuery(keyID: "k1", limit: 10)).map(\.requestID)
        #expect(listed == ["mid", "old"])
        let costs = try await store.costByKey(sinceMs: 2_000)
        #expect(costs.keys.sorted() == ["k1", "k2"])
    }

    static func requestFilters(_ store: any RequestStore) async throws {
        try await store.insert([
            Sample.record(id: "a", at: 1, metadata: #"{"userId":"u1"}"#),
            Sample.record(id: "b", at: 2, metadata: #"{"userId":"u1"}"#, status: 200, errorType: "stream_interrupted"),
            Sample.record(id: "c", at: 3, metadata: #"{"userId":"u2"}"#, status: 429, errorType: "rate_limited"),
            Sample.record(id: "d", at: 4, provider: "other", metadata: #"{"userId":"u1"}"#),
        ])
        let errors = try await store.requests(RequestQuery(outcome: .error)).map(\.requestID)
        #expect(errors == ["c", "b"])
        let user = try await store.requests(RequestQuery(metadata: [("userId", "u1")])).map(\.requestID)
        #expect(user == ["d", "b", "a"])
        let provider = try await store.requests(RequestQuery(provider: "other")).map(\.requestID)
        #expect(provider == ["d"])
        let limited = try await store.requests(RequestQuery(limit: 2)).map(\.requestID)
        #expect(limited == ["d", "c"])
    }
}

/// The same records and questions for SQLite and PostgreSQL, whose answers must match.
enum Parity {
    static let day: Int64 = 86_400_000

    /// Records over three UTC days (costs in binary fractions, so that sums are exact in any order and both
    /// databases sort groups of equal cost the same way), three keys, errors of both kinds, metadata of every value type and none.
    static let records: [RequestRecord] = (0..<60).map { index in
        let metadata: String
        switch index % 6 {
        case 0: metadata = #"{"team":"search","userId":\#(index % 4),"beta":true}"#
        case 1: metadata = #"{"team":"ads","userId":"u\#(index % 3)","beta":false}"#
        case 2: metadata = #"{"team":"search","ratio":0.5}"#
        case 3: metadata = #"{"customer-id":"acme","team":"Zeta"}"#
        case 4: metadata = #"{"team":"ads","userId":\#(index % 4)}"#
        default: metadata = "{}"
        }
        var record = Sample.record(
            id: "p\(index)", at: Int64(index / 20) * day + Int64(index), key: "k\(index % 3)",
            model: index % 2 == 0 ? "big" : "small", provider: ["p1", "p2", "p3"][index % 3],
            cost: Double(index % 7) / 8 + 1.0 / 64, metadata: metadata, status: index % 11 == 0 ? 502 : 200,
            errorType: index % 11 == 0 ? "all_providers_failed" : (index % 13 == 0 ? "stream_interrupted" : nil))
        record.country = index % 5 == 0 ? nil : "DE"
        record.region = index % 4 == 0 ? "us-east" : "eu-west"
        record.asn = index % 3 == 0 ? nil : 3320
        record.ttftMs = index % 9 == 0 ? nil : Double(index) + 0.25
        record.tokens.input = index * 10
        return record
    }

    static let spendQueries: [SpendQuery] = [
        SpendQuery(),
        SpendQuery(groupBy: [.model, .provider]),
        SpendQuery(groupBy: [.metadata("team"), .metadata("userId")]),
        SpendQuery(groupBy: [.metadata("beta"), .metadata("ratio"), .metadata("customer-id")]),
        SpendQuery(groupBy: [.day, .status]),
        SpendQuery(groupBy: [.key, .region, .country], fromMs: day, toMs: 2 * day + 50),
        SpendQuery(groupBy: [.dialect, .upstreamModel], keyID: "k1"),
    ]

    static let requestQueries: [RequestQuery] = [
        RequestQuery(limit: 1000),
        RequestQuery(keyID: "k2", model: "big", limit: 1000),
        RequestQuery(provider: "p3", outcome: .error, limit: 1000),
        RequestQuery(outcome: .ok, metadata: [("team", "ads"), ("userId", "2")], limit: 1000),
        RequestQuery(metadata: [("beta", "true")], fromMs: 5, toMs: day + 30, limit: 7),
    ]

    /// `record` with its metadata as sorted, compact JSON: PostgreSQL's `jsonb` gives back equal JSON, not the
    /// same text.
    static func normalized(_ record: RequestRecord) -> RequestRecord {
        var record = record
        if let object = try? JSONSerialization.jsonObject(with: Data(record.metadataJSON.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        {
            record.metadataJSON = String(decoding: data, as: UTF8.self)
        }
        return record
    }
}
