
@testable import EdgeRouter
@testable import RoutingCore
import Foundation
import NIOHTTP1
import Testing

/// What a provider's `Retry-After` does to the node: never a crash, and a hold on the deployment for 429 and 503.
@Suite("Provider Retry-After through the router", .timeLimit(.minutes(2)))
struct ProviderRetryAfterTests {
    static func answering(_ status: String, retryAfter: String) -> StubProvider.Script {
        { _, connection in
            try await connection.write(
                StubProvider.response(
                    status: status, extra: "retry-after: \(retryAfter)\r\n",
                    body: #"{"error":{"message":"slow down","type":"rate_limit"}}"#))
        }
    }

    /// The breaker state of provider `p0`'s deployment of `m`.
    static func breaker(_ harness: RouterHarness, _ provider: String = "p0") throws -> CircuitBreaker.State {
        let runtime = try #require(harness.router.engine.runtimes.first { $0.deployment.provider.id == provider })
        return runtime.snapshot(now: MonotonicTime.now()).breaker
    }

    @Test("a 429 or 503 with a Retry-After of 1e20, inf, nan, -5 or a huge integer fails over; the node keeps serving",
          arguments: ["1e20", "inf", "nan", "-5", "99999999999999999999999", "9223372036854775807"])
    func hostileRetryAfter(_ value: String) async throws {
        for status in ["429 Too Many Requests", "503 Service Unavailable"] {
            try await RouterHarness.withStub(Self.answering(status, retryAfter: value)) { harness, stub in
                let first = try await harness.chat(model: "m", stream: false)
                #expect(first.status == 200)
                #expect(first.headers.first(name: "x-edge-provider") == "p1")
                #expect(stub.requests.count == 1)
                let second = try await harness.chat(model: "m", stream: true)
                #expect(second.status == 200)
            }
        }
    }

    @Test("a 503 with Retry-After holds its deployment like a 429, for that long")
    func serviceUnavailableHolds() async throws {
        try await RouterHarness.withStub(Self.answering("503 Service Unavailable", retryAfter: "120")) { harness, _ in
            let before = MonotonicTime.now()
            #expect(try await harness.chat(model: "m", stream: false).status == 200)
            guard case .rateLimited(let until) = try Self.breaker(harness) else {
                Issue.record("p0 is \(try Self.breaker(harness)), not rate-limited")
                return
            }
            #expect(until >= before + 110 * 1_000_000_000 && until <= MonotonicTime.now() + 121 * 1_000_000_000)
        }
    }

    @Test("a Retry-After given as an HTTP date holds the deployment until that date")
    func httpDateHolds() async throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let date = formatter.string(from: Date().addingTimeInterval(90))
        try await RouterHarness.withStub(Self.answering("429 Too Many Requests", retryAfter: date)) { harness, _ in
            let before = MonotonicTime.now()
            #expect(try await harness.chat(model: "m", stream: false).status == 200)
            guard case .rateLimited(let until) = try Self.breaker(harness) else {
                Issue.record("p0 is \(try Self.breaker(harness)), not rate-limited")
                return
            }
            // Well beyond the 5 s a 429 without a usable Retry-After gets.
            #expect(until >= before + 80 * 1_000_000_000 && until <= MonotonicTime.now() + 91 * 1_000_000_000)
        }
    }
}
