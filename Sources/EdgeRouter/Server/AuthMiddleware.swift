import Hummingbird

/// Authenticates clients by gateway key, as each dialect's SDKs send it: `Authorization: Bearer <key>` (OpenAI,
/// and Anthropic's `auth_token`), `x-api-key: <key>` (Anthropic), `x-goog-api-key: <key>` or `?key=<key>`
/// (Gemini). The key never leaves the router: it is not logged and not sent upstream.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext
    /// The keys to check against, read at each request: a configuration reload replaces them.
    let keys: @Sendable () -> KeyRing

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.gatewayKey = try Self.authenticate(request.headers, path: request.uri.description, keys: keys())
        return try await next(request, context)
    }

    /// The key a request presents, or the error for the client.
    static func authenticate(_ headers: HTTPFields, path: String?, keys: KeyRing) throws(EdgeRouterError) -> GatewayKey {
        guard let secret = presentedSecret(headers, path: path) else {
            throw EdgeRouterError(
                .unauthenticated,
                "Missing gateway key: send 'Authorization: Bearer <key>', 'x-api-key: <key>' or 'x-goog-api-key: <key>'.")
        }
        guard let key = keys.key(forSecret: secret) else {
            throw EdgeRouterError(.unauthenticated, "Incorrect gateway key provided.")
        }
        return key
    }

    static func presentedSecret(_ headers: HTTPFields, path: String? = nil) -> Substring? {
        if let authorization = headers[.authorization] {
            let value = authorization[...]
            guard value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
            let secret = value.dropFirst(7).drop { $0 == " " }
            return secret.isEmpty ? nil : secret
        }
        if let key = headers[.xAPIKey], !key.isEmpty { return key[...] }
        if let key = headers[.googAPIKey], !key.isEmpty { return key[...] }
        if let path, let query = path.firstIndex(of: "?"),
            let key = ChatEndpoint.queryValue(path[path.index(after: query)...], named: "key"), !key.isEmpty
        {
            return key[...]
        }
        return nil
    }
}
