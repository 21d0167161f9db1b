import EdgeWire
import NIOCore
import RoutingCore

/// The body of a request translated through the neutral form for a deployment of another dialect than the
/// client's (and of every probe, which starts neutral).
enum TranslatedBody {
    /// `request` in `deployment`'s dialect, for its model; refused (naming the field) when the dialect cannot carry
    /// it. `defaultMaxTokens` is the model's, for Anthropic, which requires `max_tokens`.
    static func make(_ request: ChatRequest, for deployment: Deployment, defaultMaxTokens: Int) throws(WireError) -> ByteBuffer {
        switch deployment.provider.dialect {
        case .openai:
            try OpenAIRequestWriter.body(for: request, model: deployment.upstreamModel)
        case .openaiResponses:
            try ResponsesRequestWriter.body(for: request, model: deployment.upstreamModel)
        case .anthropic:
            try AnthropicRequestWriter.body(for: request, model: deployment.upstreamModel, defaultMaxTokens: defaultMaxTokens)
        case .gemini:
            try GeminiRequestWriter.body(for: request)
        case .cog:
            try cogBody(request, for: deployment, defaultMaxTokens: defaultMaxTokens)
        }
    }

    /// The Cog prediction body, through the deployment's input template (``CogInput/standard`` when none is set).
    private static func cogBody(_ request: ChatRequest, for deployment: Deployment, defaultMaxTokens: Int) throws(WireError) -> ByteBuffer {
        let input = deployment.cogInput ?? .standard
        let fields: [CogRequestWriter.Field] = input.fields.map { field in
            switch field.value {
            case .template(let text): (name: field.name, value: text, isLiteral: false)
            case .literal(let json): (name: field.name, value: json, isLiteral: true)
            }
        }
        // The configuration's check refuses unknown templates; `plain` stands in for one built in code.
        let template = CogChatTemplate(rawValue: input.chatTemplate) ?? .plain
        return try CogRequestWriter.body(
            for: request, fields: fields, chatTemplate: template, defaultMaxTokens: defaultMaxTokens, model: deployment.upstreamModel)
    }
}
