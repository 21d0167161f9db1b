import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client of the status page that does not follow redirects (a login's 303 and its cookie are what the tests
/// look at) and keeps no cookies of its own: each request carries exactly the headers a test gives it.
struct StatusClient: Sendable {
    let base: String
    let client: HTTPClient

    static let adminKey = "admin-secret"

    init(base: String) {
        self.base = base
        client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(30))))
    }

    /// Runs `body` with a client of `base`, shut down afterwards whatever happens.
    static func with<Value: Sendable>(_ base: String, _ body: (StatusClient) async throws -> Value) async throws -> Value {
        let status = StatusClient(base: base)
        do {
            let value = try await body(status)
            try await status.client.shutdown()
            return value
        } catch {
            try? await status.client.shutdown()
            throw error
        }
    }

    /// A request to the router; status, headers and the whole body.
    func send(_ path: String, method: HTTPMethod = .GET, form: String? = nil, headers: [(String, String)] = [])
        async throws -> (status: Int, headers: HTTPHeaders, body: String)
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), response.headers, String(buffer: bytes))
    }

    /// Logs in with `key`; the `Set-Cookie` value and the `name=value` pair to send back.
    func login(key: String = StatusClient.adminKey) async throws -> (status: Int, setCookie: String?, cookie: String?) {
        let response = try await send("/status/login", method: .POST, form: "key=\(key)")
        let setCookie = response.headers.first(name: "set-cookie")
        let pair = setCookie?.split(separator: ";").first.map { String($0) }
        return (response.status, setCookie, pair)
    }

    /// The first `count` server-sent events of `/status/events` (their `data:` payloads), within `limit`; fewer
    /// when the stream ends first. `onEvent` hears the number received so far after each one.
    func events(
        _ count: Int, headers: [(String, String)], within limit: Duration = .seconds(30),
        onEvent: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> [String] {
        var request = HTTPClientRequest(url: base + "/status/events")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let client = self.client
        let prepared = request
        return try await bounded(limit, "\(count) status events") {
            let response = try await client.execute(prepared, timeout: .seconds(30))
            guard response.status == .ok else { throw StatusClientError.status(Int(response.status.code)) }
            var text = ""
            var payloads: [String] = []
            for try await chunk in response.body {
                text += String(buffer: chunk)
                // Only whole events: a chunk may end in the middle of one.
                let complete = text.range(of: "\n\n", options: .backwards).map { String(text[..<$0.upperBound]) } ?? ""
                let before = payloads.count
                payloads = ssePayloads(complete)
                if payloads.count > before { onEvent(payloads.count) }
                if payloads.count >= count { break }
            }
            return Array(payloads.prefix(count))
        }
    }
}

enum StatusClientError: Error {
    case status(Int)
}
