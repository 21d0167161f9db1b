import Foundation
import HTTPTypes
import Synchronization

/// Each key's `rate_limit` and `budget`, checked at admission, before any upstream call.
///
/// Rates are token buckets on this node: a key may burst a minute's worth, then goes at its rate; tokens are
/// charged when a request ends (its real count is known only then), so a bucket may go below zero and then
/// refuses until it has refilled. Budgets count spend per UTC day and UTC calendar month from the request log
/// (read at start) and every request since. Requests admitted while under budget may together overshoot it by
/// what they cost: at most the in-flight requests' cost.
///
/// With the PostgreSQL sink the totals are the fleet's: ``refresh(today:thisMonth:keys:readAtMs:wallMs:)`` replaces
/// them every `log.budget_refresh_ms` with what PostgreSQL holds, plus this node's charges since the refresh began
/// (``beginRefresh()``), which PostgreSQL may not have yet. Between refreshes a node sees only its own spend, so
/// the fleet may overshoot a budget by what the other nodes admit in one refresh interval: at most
/// nodes x requests admitted per interval x cost per request (README, "Fleet-wide budgets").
final class KeyLimits: Sendable {
    private struct Bucket {
        var level: Double
        var updated: ContinuousClock.Instant
        let capacity: Double
        let perSecond: Double

        init(perMinute: Int, now: ContinuousClock.Instant) {
            capacity = Double(perMinute)
            perSecond = Double(perMinute) / 60
            level = capacity
            updated = now
        }

        mutating func refill(now: ContinuousClock.Instant) {
            guard now > updated else { return }
            let elapsed = now - updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            level = min(capacity, level + seconds * perSecond)
            updated = now
        }

        /// Seconds until the level is back to `needed`.
        func wait(for needed: Double) -> Double { level >= needed ? 0 : (needed - level) / perSecond }
    }

    private struct KeyState {
        var requests: Bucket?
        var tokens: Bucket?
        var day: Int64
        var daySpend = 0.0
        var month: ClosedRange<Int64>
        var monthSpend = 0.0
        /// This node's charges since the last ``KeyLimits/beginRefresh()`` (today's and this month's).
        var localDay = 0.0
        var localMonth = 0.0
    }

    private let state = Mutex<[String: KeyState]>([:])

    /// Spend per key today and this month, read from the request log when the router starts.
    func seed(today: [String: Double], thisMonth: [String: Double], keys: [GatewayKey], wallMs: Int64) {
        let now = ContinuousClock.now
        state.withLock { states in
            for key in keys where key.budget != nil {
                var keyState = states[key.id] ?? Self.fresh(key, now: now, wallMs: wallMs)
                keyState.daySpend = today[key.id] ?? 0
                keyState.monthSpend = thisMonth[key.id] ?? 0
                states[key.id] = keyState
            }
        }
    }

    /// Marks the start of a refresh of the fleet's totals: the charges made from now on are added to what the
    /// refresh reads. Call it just before reading PostgreSQL.
    func beginRefresh() {
        state.withLock { states in
            for id in states.keys {
                states[id]?.localDay = 0
                states[id]?.localMonth = 0
            }
        }
    }

    /// Replaces each budgeted key's totals with the fleet's, read from PostgreSQL at `readAtMs` after
    /// ``beginRefresh()``, plus this node's charges since then.
    ///
    /// A total never goes down within its day or month: the node's own count (the last refresh plus every local
    /// charge since) is kept when it is higher, because this node's latest rows may not be in PostgreSQL yet (in the
    /// writer's queue, or spooled while the database was away). Totals read on a day or month that has ended since
    /// are ignored. A charge made between ``beginRefresh()`` and the read may count twice, which errs towards
    /// refusing early, by at most the requests that end in that instant.
    func refresh(today: [String: Double], thisMonth: [String: Double], keys: [GatewayKey], readAtMs: Int64, wallMs: Int64) {
        let now = ContinuousClock.now
        state.withLock { states in
            for key in keys where key.budget != nil {
                var keyState = states[key.id] ?? Self.fresh(key, now: now, wallMs: wallMs)
                Self.roll(&keyState, wallMs: wallMs)
                if readAtMs / Self.dayMs == keyState.day {
                    keyState.daySpend = max(keyState.daySpend, (today[key.id] ?? 0) + keyState.localDay)
                }
                if keyState.month.contains(readAtMs) {
                    keyState.monthSpend = max(keyState.monthSpend, (thisMonth[key.id] ?? 0) + keyState.localMonth)
                }
                states[key.id] = keyState
            }
        }
    }

    /// What a key has spent today and this month, as this node counts it (for tests and diagnostics).
    func spent(_ keyID: String) -> (today: Double, thisMonth: Double)? {
        state.withLock { states in states[keyID].map { ($0.daySpend, $0.monthSpend) } }
    }

    /// Admits a request of `key`, taking one request from its bucket; returns the headers that tell the client
    /// where it stands. Over a limit, the error is a 429 with `Retry-After` and the same headers.
    func admit(_ key: GatewayKey, now: ContinuousClock.Instant = .now, wallMs: Int64) throws(EdgeRouterError) -> HTTPFields {
        guard key.rateLimit != nil || key.budget != nil else { return [:] }
        let outcome: Result<HTTPFields, EdgeRouterError> = state.withLock { states in
            var keyState = states[key.id] ?? Self.fresh(key, now: now, wallMs: wallMs)
            Self.roll(&keyState, wallMs: wallMs)
            keyState.requests?.refill(now: now)
            keyState.tokens?.refill(now: now)
            var headers = HTTPFields()
            if let budget = key.budget {
                let (remaining, renewsIn) = Self.budgetRemaining(budget, keyState, wallMs: wallMs)
                headers[.edgeBudgetRemaining] = String(format: "%.6f", max(0, remaining))
                if remaining <= 0 {
                    headers[.retryAfter] = String(Self.wholeSeconds(renewsIn))
                    // The SDKs retry a 429 by default; a spent budget is not worth retrying within seconds.
                    headers[.shouldRetry] = "false"
                    states[key.id] = keyState
                    var error = EdgeRouterError(
                        .budgetExceeded,
                        "The key '\(key.id)' has spent its budget (\(Self.describe(budget))); it renews in \(Self.wholeSeconds(renewsIn)) s.")
                    error.headers = headers
                    return .failure(error)
                }
            }
            if let bucket = keyState.requests {
                Self.describe(bucket, kind: "requests", into: &headers, taking: 1)
                if bucket.level < 1 {
                    return .failure(Self.refusal(key, bucket, kind: "requests", needed: 1, headers: headers, states: &states, keyState))
                }
                keyState.requests?.level -= 1
            }
            if let bucket = keyState.tokens {
                Self.describe(bucket, kind: "tokens", into: &headers, taking: 0)
                if bucket.level <= 0 {
                    return .failure(Self.refusal(key, bucket, kind: "tokens", needed: 1, headers: headers, states: &states, keyState))
                }
            }
            states[key.id] = keyState
            return .success(headers)
        }
        return try outcome.get()
    }

    /// Charges a finished request of `key`: its cost against the budget, its tokens against the token rate.
    func charge(_ key: GatewayKey, costUSD: Double, tokens: Int, now: ContinuousClock.Instant = .now, wallMs: Int64) {
        guard key.budget != nil || key.rateLimit?.tokensPerMinute != nil else { return }
        state.withLock { states in
            var keyState = states[key.id] ?? Self.fresh(key, now: now, wallMs: wallMs)
            Self.roll(&keyState, wallMs: wallMs)
            keyState.daySpend += costUSD
            keyState.monthSpend += costUSD
            keyState.localDay += costUSD
            keyState.localMonth += costUSD
            keyState.tokens?.refill(now: now)
            keyState.tokens?.level -= Double(max(0, tokens))
            states[key.id] = keyState
        }
    }

    // MARK: State

    private static func fresh(_ key: GatewayKey, now: ContinuousClock.Instant, wallMs: Int64) -> KeyState {
        KeyState(
            requests: key.rateLimit?.requestsPerMinute.map { Bucket(perMinute: $0, now: now) },
            tokens: key.rateLimit?.tokensPerMinute.map { Bucket(perMinute: $0, now: now) },
            day: wallMs / dayMs, month: UTCMonth.containing(wallMs))
    }

    /// Starts a new day's or month's count when the request falls past the current one.
    private static func roll(_ keyState: inout KeyState, wallMs: Int64) {
        if wallMs / dayMs != keyState.day {
            keyState.day = wallMs / dayMs
            keyState.daySpend = 0
            keyState.localDay = 0
        }
        if !keyState.month.contains(wallMs) {
            keyState.month = UTCMonth.containing(wallMs)
            keyState.monthSpend = 0
            keyState.localMonth = 0
        }
    }

    private static let dayMs: Int64 = 86_400_000

    /// What is left of the tightest budget, and seconds until every spent budget has renewed.
    private static func budgetRemaining(_ budget: GatewayKey.Budget, _ keyState: KeyState, wallMs: Int64) -> (Double, Double) {
        var remaining = Double.infinity
        var renewsIn = 0.0
        if let perDay = budget.usdPerDay {
            remaining = perDay - keyState.daySpend
            if remaining <= 0 { renewsIn = Double((keyState.day + 1) * dayMs - wallMs) / 1000 }
        }
        if let perMonth = budget.usdPerMonth {
            let monthRemaining = perMonth - keyState.monthSpend
            remaining = min(remaining, monthRemaining)
            if monthRemaining <= 0 { renewsIn = max(renewsIn, Double(keyState.month.upperBound + 1 - wallMs) / 1000) }
        }
        return (remaining, renewsIn)
    }

    /// Whole seconds, rounded up, at most a year: a bucket overdrawn by a provider's absurd token count must not
    /// make a number that traps.
    private static func wholeSeconds(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int(min(seconds, 31_536_000).rounded(.up))
    }

    private static func describe(_ budget: GatewayKey.Budget) -> String {
        [budget.usdPerDay.map { "$\($0) per day" }, budget.usdPerMonth.map { "$\($0) per month" }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// OpenAI's rate-limit headers (the SDKs log them; `x-ratelimit-reset-*` as OpenAI writes durations).
    private static func describe(_ bucket: Bucket, kind: String, into headers: inout HTTPFields, taking: Double) {
        guard let limit = HTTPField.Name("x-ratelimit-limit-\(kind)"), let remaining = HTTPField.Name("x-ratelimit-remaining-\(kind)"),
            let reset = HTTPField.Name("x-ratelimit-reset-\(kind)")
        else { return }
        headers[limit] = String(Int(bucket.capacity))
        headers[remaining] = String(Int(min(bucket.capacity, max(0, bucket.level - taking)).rounded(.down)))
        headers[reset] = "\(wholeSeconds(bucket.wait(for: bucket.capacity)))s"
    }

    private static func refusal(
        _ key: GatewayKey, _ bucket: Bucket, kind: String, needed: Double, headers: HTTPFields,
        states: inout [String: KeyState], _ keyState: KeyState
    ) -> EdgeRouterError {
        states[key.id] = keyState
        let wait = max(1, wholeSeconds(bucket.wait(for: needed)))
        var error = EdgeRouterError(
            .rateLimited, "The key '\(key.id)' is over its rate limit of \(Int(bucket.capacity)) \(kind) per minute; retry in \(wait) s.")
        error.headers = headers
        error.headers[.retryAfter] = String(wait)
        return error
    }
}

/// UTC calendar months, in Unix milliseconds.
enum UTCMonth {
    /// The month holding `wallMs`: its first and last millisecond.
    static func containing(_ wallMs: Int64) -> ClosedRange<Int64> {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let date = Date(timeIntervalSince1970: Double(wallMs) / 1000)
        guard let interval = calendar.dateInterval(of: .month, for: date) else { return wallMs...wallMs }
        let start = Int64(interval.start.timeIntervalSince1970 * 1000)
        let end = Int64(interval.end.timeIntervalSince1970 * 1000)
        return start...(end - 1)
    }
}

extension HTTPField.Name {
    static let edgeBudgetRemaining = Self("x-edge-budget-remaining-usd")!
    static let shouldRetry = Self("x-should-retry")!
}
