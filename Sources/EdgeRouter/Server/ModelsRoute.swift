import EdgeJSON
import EdgeWire
import Hummingbird
import NIOCore
import RoutingCore

/// The model list and lookup of each dialect, limited to what the caller's key may use:
/// - `GET /v1/models` and `GET /v1/models/{id}`: OpenAI's shape, each entry also listing its providers and aliases;
///   Anthropic's shape (`type`, `display_name`, `has_more`) when the request carries `anthropic-version`, as
///   Anthropic's SDKs send it.
/// - `GET /v1beta/models` and `GET /v1beta/models/{id}`: Gemini's shape (`models/<name>`,
///   `supportedGenerationMethods`).
///
/// Written field by field in each dialect's order rather than through a dictionary, whose key order changes from
/// one call to the next: the same configuration gives the same bytes, so clients and caches can compare answers.
struct ModelsRoute: Sendable {
    /// The server's current state: the list is of the catalog served when the request arrives.
    let live: LiveState
    private var configuration: RouterConfiguration { live.load().configuration }

    func list(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visible = visibleModels(context)
        var body = ByteBuffer()
        if request.headers[.anthropicVersion] != nil {
            body.writeStaticString(#"{"data":["#)
            for (position, model) in visible.enumerated() {
                if position > 0 { body.writeStaticString(",") }
                Self.writeAnthropic(model, to: &body)
            }
            body.writeStaticString(#"],"has_more":false,"first_id":"#)
            Self.writeOptional(visible.first?.name, to: &body)
            body.writeStaticString(#","last_id":"#)
            Self.writeOptional(visible.last?.name, to: &body)
            body.writeStaticString("}")
        } else {
            body.writeStaticString(#"{"object":"list","data":["#)
            for (position, model) in visible.enumerated() {
                if position > 0 { body.writeStaticString(",") }
                Self.writeOpenAI(model, to: &body)
            }
            body.writeStaticString("]}")
        }
        return Self.answer(body, context)
    }

    func retrieve(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let model = try found(context.parameters.get("id"), context)
        var body = ByteBuffer()
        if request.headers[.anthropicVersion] != nil {
            Self.writeAnthropic(model, to: &body)
        } else {
            Self.writeOpenAI(model, to: &body)
        }
        return Self.answer(body, context)
    }

    func listGemini(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        var body = ByteBuffer()
        body.writeStaticString(#"{"models":["#)
        for (position, model) in visibleModels(context).enumerated() {
            if position > 0 { body.writeStaticString(",") }
            Self.writeGemini(model, to: &body)
        }
        body.writeStaticString("]}")
        return Self.answer(body, context)
    }

    func retrieveGemini(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        var body = ByteBuffer()
        Self.writeGemini(try found(context.parameters.get("id"), context), to: &body)
        return Self.answer(body, context)
    }

    private func visibleModels(_ context: EdgeRequestContext) -> [Model] {
        configuration.models.filter { context.gatewayKey?.allows(model: $0.name) ?? false }
    }

    /// The model named `id` (or an alias of it) that the key may use; a model the key may not use is as unknown
    /// as one that does not exist.
    private func found(_ id: String?, _ context: EdgeRequestContext) throws(EdgeRouterError) -> Model {
        let name = id ?? ""
        guard let model = configuration.model(named: name), context.gatewayKey?.allows(model: model.name) ?? false else {
            throw EdgeRouterError(.modelNotFound, "The model '\(EchoedInput.quoted(name))' does not exist.", param: "model")
        }
        return model
    }

    private static func answer(_ body: ByteBuffer, _ context: EdgeRequestContext) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .edgeRequestID: context.requestID],
            body: ResponseBody(byteBuffer: body))
    }

    private static func writeOptional(_ text: String?, to body: inout ByteBuffer) {
        if let text { body.writeJSONString(text) } else { body.writeStaticString("null") }
    }

    private static func writeOpenAI(_ model: Model, to body: inout ByteBuffer) {
        body.writeStaticString(#"{"id":"#)
        body.writeJSONString(model.name)
        body.writeStaticString(#","object":"model","created":0,"owned_by":"edge-router","aliases":["#)
        for (position, alias) in model.aliases.enumerated() {
            if position > 0 { body.writeStaticString(",") }
            body.writeJSONString(alias)
        }
        body.writeStaticString(#"],"providers":["#)
        for (position, deployment) in model.deployments.enumerated() {
            if position > 0 { body.writeStaticString(",") }
            body.writeStaticString(#"{"provider":"#)
            body.writeJSONString(deployment.provider.id)
            body.writeStaticString(#","model":"#)
            body.writeJSONString(deployment.upstreamModel)
            body.writeStaticString(#","region":"#)
            body.writeJSONString(deployment.provider.region)
            body.writeStaticString(#","dialect":"#)
            body.writeJSONString(deployment.provider.dialect.rawValue)
            body.writeStaticString("}")
        }
        body.writeStaticString("]}")
    }

    private static func writeAnthropic(_ model: Model, to body: inout ByteBuffer) {
        body.writeStaticString(#"{"type":"model","id":"#)
        body.writeJSONString(model.name)
        body.writeStaticString(#","display_name":"#)
        body.writeJSONString(model.name)
        // The configuration has no creation date: the epoch stands for "unknown" in the RFC 3339 form the SDK parses.
        body.writeStaticString(#","created_at":"1970-01-01T00:00:00Z"}"#)
    }

    private static func writeGemini(_ model: Model, to body: inout ByteBuffer) {
        body.writeStaticString(#"{"name":"#)
        body.writeJSONString("models/" + model.name)
        body.writeStaticString(#","displayName":"#)
        body.writeJSONString(model.name)
        body.writeStaticString(#","supportedGenerationMethods":["generateContent","streamGenerateContent"]}"#)
    }
}
