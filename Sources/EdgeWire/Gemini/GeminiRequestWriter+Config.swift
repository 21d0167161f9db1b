import EdgeJSON
import NIOCore

/// Writing `tools`, `toolConfig` and `generationConfig`.
extension GeminiRequestWriter {
    static func writeTools(_ request: ChatRequest, into body: inout ByteBuffer) {
        if !request.tools.isEmpty {
            body.writeStaticString(#","tools":[{"functionDeclarations":["#)
            for (index, tool) in request.tools.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                body.writeStaticString(#"{"name":"#)
                body.writeJSONString(tool.name)
                if let description = tool.description {
                    body.writeStaticString(#","description":"#)
                    body.writeJSONString(description)
                }
                if let parameters = tool.parameters {
                    // Full JSON Schema, as other dialects write it: `parameters` takes only Gemini's OpenAPI
                    // subset and refuses common keywords such as `additionalProperties`.
                    body.writeStaticString(#","parametersJsonSchema":"#)
                    body.writeBytes(parameters.bytes)
                }
                body.writeStaticString("}")
            }
            body.writeStaticString("]}]")
        }
        // A choice among no tools means nothing to Gemini, which may refuse a `toolConfig` without tools.
        guard let choice = request.toolChoice, !request.tools.isEmpty else { return }
        body.writeStaticString(#","toolConfig":{"functionCallingConfig":{"mode":"#)
        switch choice {
        case .auto: body.writeStaticString(#""AUTO""#)
        case .none: body.writeStaticString(#""NONE""#)
        case .required: body.writeStaticString(#""ANY""#)
        case .tool(let name):
            body.writeStaticString(#""ANY","allowedFunctionNames":["#)
            body.writeJSONString(name)
            body.writeStaticString("]")
        }
        body.writeStaticString("}}")
    }

    static func writeGenerationConfig(_ request: ChatRequest, into body: inout ByteBuffer) {
        var separator: StaticString = #","generationConfig":{"#
        func key(_ name: StaticString, _ body: inout ByteBuffer) {
            body.writeStaticString(separator)
            separator = ","
            body.writeStaticString(name)
        }
        if let temperature = request.temperature {
            key(#""temperature":"#, &body)
            body.writeBytes(temperature.bytes)
        }
        if let topP = request.topP {
            key(#""topP":"#, &body)
            body.writeBytes(topP.bytes)
        }
        if let topK = request.topK {
            key(#""topK":"#, &body)
            body.writeJSONInteger(topK)
        }
        if let maxTokens = request.maxTokens {
            key(#""maxOutputTokens":"#, &body)
            body.writeJSONInteger(maxTokens)
        }
        if !request.stopSequences.isEmpty {
            key(#""stopSequences":["#, &body)
            for (index, stop) in request.stopSequences.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                body.writeJSONString(stop)
            }
            body.writeStaticString("]")
        }
        if let count = request.choiceCount {
            key(#""candidateCount":"#, &body)
            body.writeJSONInteger(count)
        }
        switch request.responseFormat {
        case .text:
            key(#""responseMimeType":"text/plain""#, &body)
        case .jsonObject:
            key(#""responseMimeType":"application/json""#, &body)
        case .jsonSchema(_, let schema, _):
            // Gemini has no schema name or strictness: the schema is always enforced.
            key(#""responseMimeType":"application/json","responseJsonSchema":"#, &body)
            body.writeBytes(schema.bytes)
        case nil:
            break
        }
        if let reasoning = request.reasoning {
            key(#""thinkingConfig":{"#, &body)
            if let budget = reasoning.budget {
                body.writeStaticString(#""thinkingBudget":"#)
                body.writeJSONInteger(budget)
                body.writeStaticString(",")
            }
            body.writeStaticString(#""includeThoughts":true}"#)
        }
        if separator.utf8CodeUnitCount == 1 { body.writeStaticString("}") }
    }
}
