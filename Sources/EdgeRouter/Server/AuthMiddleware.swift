import Hummingbird

/// Authenticates clients by gateway key: `Authorization: Bearer <key>`, or `x-api-key: <key>` as the Anthropic
/// SDK sends it. The key never leaves the router: it is not logged and not sent upstream.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext
    let keys: KeyRing

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.gatewayKey = try Self.authenticate(request.headers, keys: keys)
        return try await next(request, context)
    }

    /// The key a request presents, or the error for the client.
    static func authenticate(_ headers: HTTPFields, keys: KeyRing) throws(EdgeRouterError) -> GatewayKey {
        guard let secret = presentedSecret(headers) else {
            throw EdgeRouterError(
                .unauthenticated, "Missing gateway key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'.")
        }
        guard let key = keys.key(forSecret: secret) else {
            throw EdgeRouterError(.unauthenticated, "Incorrect gateway key provided.")
        }
        return key
    }

    static func presentedSecret(_ headers: HTTPFields) -> Substring? {
        if let authorization = headers[.authorization] {
            let value = authorization[...]
            guard value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
            let secret = value.dropFirst(7).drop { $0 == " " }
            return secret.isEmpty ? nil : secret
        }
        if let key = headers[.xAPIKey], !key.isEmpty { return key[...] }
        return nil
    }
}
