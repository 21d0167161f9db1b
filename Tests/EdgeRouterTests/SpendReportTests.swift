import EdgeRouter
import RequestLog
import Testing

@Suite("Spend report: query parameters, time bounds and the table")
struct SpendReportTests {
    static let now: Int64 = 1_764_849_600_000  // 2025-12-04T12:00:00Z

    @Test("time bounds read spans back from now, ISO 8601 dates and date-times; anything else is a 400 naming the parameter")
    func timeBounds() throws {
        #expect(try SpendReport.timeBound("24h", param: "from", nowMs: Self.now) == Self.now - 86_400_000)
        #expect(try SpendReport.timeBound("90m", param: "from", nowMs: Self.now) == Self.now - 5_400_000)
        #expect(try SpendReport.timeBound("7d", param: "from", nowMs: Self.now) == Self.now - 7 * 86_400_000)
        #expect(try SpendReport.timeBound("2025-12-04", param: "from", nowMs: Self.now) == Self.now - 43_200_000)
        #expect(try SpendReport.timeBound("2025-12-04T13:00:00Z", param: "to", nowMs: Self.now) == Self.now + 3_600_000)
        #expect(try SpendReport.timeBound("2025-12-04T12:00:00.250Z", param: "to", nowMs: Self.now) == Self.now + 250)
        for bad in ["yesterday", "", "-5h", "99999999999d", "24x", "2025-13-40"] {
            #expect {
                _ = try SpendReport.timeBound(bad, param: "from", nowMs: Self.now)
            } throws: { error in
                (error as? EdgeRouterError)?.param == "from"
            }
        }
    }

    @Test("request listings read every filter; unknown parameters, bad limits and bad statuses are 400s naming them")
    func requestQuery() throws {
        let query = try SpendReport.requestQuery(
            [("key", "k"), ("model", "m"), ("provider", "p"), ("status", "error"), ("metadata.team", "search"), ("limit", "5")],
            nowMs: Self.now)
        #expect(query.keyID == "k" && query.model == "m" && query.provider == "p" && query.outcome == .error && query.limit == 5)
        #expect(query.metadata.map(\.name) == ["team"] && query.metadata.map(\.value) == ["search"])
        for (name, value) in [("colour", "red"), ("limit", "0"), ("limit", "1001"), ("status", "fine"), ("metadata.a b", "x")] {
            #expect {
                _ = try SpendReport.requestQuery([(name, value)], nowMs: Self.now)
            } throws: { error in
                (error as? EdgeRouterError)?.param == name
            }
        }
    }

    @Test("the table has a header, one aligned line per group with '-' for a missing value, and the totals")
    func table() throws {
        let query = SpendQuery(groupBy: try SpendQuery.dimensions("metadata.team,model"))
        let rows = [
            SpendRow(group: ["search", "big-model"], requests: 12, errors: 1, tokens: .init(input: 1200, output: 300, cacheRead: 100), costUSD: 0.5),
            SpendRow(group: [nil, "m"], requests: 1, errors: 0, tokens: .init(input: 10, output: 3), costUSD: 0.000125),
        ]
        let lines = SpendReport.table(rows, query: query).split(separator: "\n").map(String.init)
        #expect(lines == [
            "metadata.team  model      requests  errors  input  output  cached  cost_usd",
            "search         big-model  12        1       1200   300     100     0.500000",
            "-              m          1         0       10     3       0       0.000125",
            "13 requests, $0.500125 in all",
        ])
    }
}
