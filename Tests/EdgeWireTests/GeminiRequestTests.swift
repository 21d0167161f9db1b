@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("Gemini requests: parse, reader, writer", .timeLimit(.minutes(5)))
struct GeminiRequestTests {
    static let rich = #"""
        {
          "contents": [
            {"role": "user", "parts": [{"text": "What's the weather in Paris?"},
              {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
              {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/cat.jpg"}}]},
            {"role": "model", "parts": [{"text": "Let me check.", "thought": true, "thoughtSignature": "c2ln"},
              {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2lnMg"},
              {"functionCall": {"id": "fc-7", "name": "get_time", "args": {"tz": "CET"}}}]},
            {"role": "function", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
              {"functionResponse": {"id": "fc-7", "name": "get_time", "response": {"time": "12:00"}}}]},
            {"parts": [{"text": "Merci"}]}
          ],
          "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Answer in French."}]},
          "tools": [{"functionDeclarations": [
            {"name": "get_weather", "description": "Weather now",
             "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}},
            {"name": "get_time", "parametersJsonSchema": {"type": "object"}}]}],
          "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
          "generationConfig": {"temperature": 0.7, "topP": 0.95, "topK": 40, "maxOutputTokens": 1024,
            "stopSequences": ["END"], "candidateCount": 1, "responseMimeType": "application/json",
            "responseSchema": {"type": "OBJECT"}, "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": true}},
          "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
          "labels": {"team": "a"}
        }
        """#

    static let richExpected = ChatRequest(
        model: "gemini-2.5-flash", stream: true, system: ["Be brief.", "Answer in French."],
        messages: [
            ChatMessage(
                role: .user,
                parts: [
                    .text("What's the weather in Paris?"), .image(.base64(mediaType: "image/png", data: "iVBORw0KGgo=")),
                    .image(.url("gs://bucket/cat.jpg")),
                ]),
            ChatMessage(
                role: .assistant,
                parts: [
                    .thinking(text: "Let me check.", signature: "c2ln"),
                    .toolCall(id: "call_0", name: "get_weather", arguments: #"{"city": "Paris"}"#),
                    .toolCall(id: "fc-7", name: "get_time", arguments: #"{"tz": "CET"}"#),
                ]),
            ChatMessage(
                role: .user,
                parts: [
                    .toolResult(id: "call_0", name: "get_weather", content: [.text(#"{"temp": 21}"#)], isError: false),
                    .toolResult(id: "fc-7", name: "get_time", content: [.text(#"{"time": "12:00"}"#)], isError: false),
                ]),
            ChatMessage(role: .user, parts: [.text("Merci")]),
        ],
        tools: [
            ToolDefinition(
                name: "get_weather", description: "Weather now",
                parameters: RawJSON(#"{"type":"object","properties":{"city":{"type":"string"}}}"#)),
            ToolDefinition(name: "get_time", parameters: RawJSON(#"{"type": "object"}"#)),
        ],
        toolChoice: .tool(name: "get_weather"), maxTokens: 1024, temperature: JSONNumber("0.7"), topP: JSONNumber("0.95"),
        topK: 40, stopSequences: ["END"], responseFormat: .jsonSchema(name: "response", schema: RawJSON(#"{"type":"object"}"#), strict: nil),
        reasoning: ReasoningRequest(budgetTokens: 2048), choiceCount: 1)

    static func read(_ json: String, stream: Bool = false) throws(WireError) -> ChatRequest {
        try GeminiRequestReader.read(Array(json.utf8), model: "gemini-2.5-flash", stream: stream)
    }

    static func wireError(_ body: () throws(WireError) -> Void) -> WireError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: parse

    @Test("parse keeps the body byte for byte (whitespace, escapes, duplicate keys) and takes model and stream from the URL")
    func parseKeepsBody() throws {
        let body = Array(" {\"contents\" : [ {\"parts\":[{\"text\":\"caf\\u00e9 \u{1F600}\"}], \"role\":\"user\"}],\"contents\":[{\"parts\":[]}], \"x\":1 }\n".utf8)
        let request = try GeminiGenerateRequest.parse(body, model: "gemini-2.5-pro", stream: true)
        #expect(Array(request.upstreamBody().readableBytesView) == body)
        #expect(request.model == "gemini-2.5-pro")
        #expect(request.stream)
        let rich = try GeminiGenerateRequest.parse(Array(Self.rich.utf8)[...], model: "m", stream: false)
        #expect(Array(rich.upstreamBody().readableBytesView) == Array(Self.rich.utf8))
    }

    @Test("parse refusals name the field", arguments: [
        ("{", nil), ("[]", nil), (#""x""#, nil), ("{}", "contents"), (#"{"contents":[]}"#, "contents"),
        (#"{"contents":{}}"#, "contents"), (#"{"contents":[1]}"#, "contents[0]"),
        (#"{"contents":[{"parts":[]},{"role":"user"}]}"#, "contents[1].parts"),
        (#"{"contents":[{"parts":{}}]}"#, "contents[0].parts"), (#"{"contents":[{"parts":[],"role":1}]}"#, "contents[0].role"),
        (#"{"contents":[{"parts":["hi"]}]}"#, "contents[0].parts[0]"),
    ] as [(String, String?)])
    func parseRefusals(body: String, param: String?) {
        let error = Self.wireError { () throws(WireError) in
            _ = try GeminiGenerateRequest.parse(Array(body.utf8), model: "m", stream: false)
        }
        #expect(error != nil)
        #expect(error?.param == param)
    }

    // MARK: reader

    @Test("a rich request reads to the expected ChatRequest; safetySettings and labels are ignored")
    func readRich() throws {
        let request = try Self.read(Self.rich, stream: true)
        #expect(request == Self.richExpected)
    }

    @Test("fields with no neutral meaning are listed as untranslatable by their Gemini path")
    func untranslatable() throws {
        let request = try Self.read(#"""
            {"contents":[{"role":"user","parts":[{"text":"a"},{"executableCode":{"code":"1"}},
              {"inlineData":{"mimeType":"application/pdf","data":"JVBE"}},{"fileData":{"fileUri":"gs://b/x"}}]}],
             "cachedContent":"cachedContents/abc","tools":[{"functionDeclarations":[{"name":"f","behavior":"NON_BLOCKING"}]},
              {"googleSearch":{}}],
             "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f","g"]}},
             "generationConfig":{"seed":1,"responseModalities":["TEXT"],"responseSchema":{"type":"STRING"}}}
            """#)
        #expect(
            request.untranslatable == [
                "contents[0].parts[1]", "contents[0].parts[2]", "contents[0].parts[3]", "cachedContent",
                "tools[0].functionDeclarations[0].behavior", "tools[1]",
                "toolConfig.functionCallingConfig.allowedFunctionNames", "generationConfig.seed",
                "generationConfig.responseModalities", "generationConfig.responseSchema",
            ])
        #expect(request.toolChoice == .required)
        #expect(request.messages == [ChatMessage(role: .user, parts: [.text("a")])])
    }

    @Test("tool choice modes: AUTO auto, NONE none, ANY required; thinking budget 0 is no reasoning, a level is an effort")
    func modesAndThinking() throws {
        let base = #"{"contents":[{"parts":[{"text":"a"}]}],"#
        #expect(try Self.read(base + #""toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}}"#).toolChoice == .auto)
        #expect(try Self.read(base + #""toolConfig":{"functionCallingConfig":{"mode":"NONE"}}}"#).toolChoice == ToolChoice.none)
        #expect(try Self.read(base + #""toolConfig":{"functionCallingConfig":{"mode":"ANY"}}}"#).toolChoice == .required)
        #expect(try Self.read(base + #""generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}"#).reasoning == nil)
        #expect(
            try Self.read(base + #""generationConfig":{"thinkingConfig":{"thinkingLevel":"HIGH"}}}"#).reasoning
                == ReasoningRequest(effort: "high"))
        #expect(
            try Self.read(base + #""generationConfig":{"responseMimeType":"application/json"}}"#).responseFormat == .jsonObject)
    }

    @Test("reader refusals name the field at fault", arguments: [
        (#"{"contents":[{"parts":[{"text":5}]}]}"#, "contents[0].parts[0].text"),
        (#"{"contents":[{"role":"system","parts":[]}]}"#, "contents[0].role"),
        (#"{"contents":[{"parts":[]}],"generationConfig":{"temperature":"hot"}}"#, "generationConfig.temperature"),
        (#"{"contents":[{"parts":[]}],"generationConfig":{"maxOutputTokens":1e400}}"#, "generationConfig.maxOutputTokens"),
        (#"{"contents":[{"parts":[{"functionCall":{"name":"f","args":"x"}}]}]}"#, "contents[0].parts[0].functionCall.args"),
        (#"{"contents":[{"parts":[]}],"tools":[{"functionDeclarations":[{"description":"d"}]}]}"#, "tools[0].functionDeclarations[0].name"),
        (#"{"contents":[]}"#, "contents"), (#"{"systemInstruction":{"parts":[]}}"#, "contents"),
    ])
    func readerRefusals(body: String, param: String) {
        let error = Self.wireError { () throws(WireError) in _ = try Self.read(body) }
        #expect(error?.param == param)
    }

    // MARK: writer

    @Test("the rich request written for Gemini reads back with the same content (thinking dropped, call ids renumbered)")
    func writeRoundTrip() throws {
        let body = try GeminiRequestWriter.body(for: Self.richExpected)
        #expect(GeminiFixture.json(body.readableBytesView) is [String: Any])
        let back = try GeminiRequestReader.read(Array(body.readableBytesView), model: "gemini-2.5-flash", stream: true)
        var expected = Self.richExpected
        expected.system = ["Be brief.\n\nAnswer in French."]
        expected.messages[1].parts = [
            .toolCall(id: "call_0", name: "get_weather", arguments: #"{"city": "Paris"}"#),
            .toolCall(id: "call_1", name: "get_time", arguments: #"{"tz": "CET"}"#),
        ]
        expected.messages[2].parts = [
            .toolResult(id: "call_0", name: "get_weather", content: [.text(#"{"temp": 21}"#)], isError: false),
            .toolResult(id: "call_1", name: "get_time", content: [.text(#"{"time": "12:00"}"#)], isError: false),
        ]
        #expect(back == expected)
    }

    @Test("a small request is written as exactly this body")
    func writeExact() throws {
        let request = ChatRequest(
            model: "x", system: ["S"],
            messages: [
                ChatMessage(role: .user, parts: [.text("Hi")]),
                ChatMessage(role: .assistant, parts: [.thinking(text: "t", signature: "s"), .toolCall(id: "1", name: "f", arguments: "")]),
                ChatMessage(role: .user, parts: [.toolResult(id: "1", name: "f", content: [.text("42")], isError: false),
                                                 .toolResult(id: "2", name: "g", content: [.text("no")], isError: true)]),
                ChatMessage(role: .assistant, parts: [.redactedThinking(data: "x")]),
            ],
            tools: [ToolDefinition(name: "f")], toolChoice: ToolChoice.none, maxTokens: 10, temperature: JSONNumber("0"),
            responseFormat: .jsonObject, reasoning: ReasoningRequest(effort: "low"))
        let body = try GeminiRequestWriter.body(for: request)
        #expect(
            GeminiFixture.string(body)
                == #"{"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"result":"42"}}},{"functionResponse":{"name":"g","response":{"error":"no"}}}]}],"systemInstruction":{"parts":[{"text":"S"}]},"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"NONE"}},"generationConfig":{"temperature":0,"maxOutputTokens":10,"responseMimeType":"application/json","thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}}}"#)
    }

    @Test("writer refusals name the field", arguments: [
        (ChatRequest(model: "x", untranslatable: ["response_format.foo", "b"]), "response_format.foo"),
        (ChatRequest(model: "x", messages: [ChatMessage(role: .user, parts: [.text("a"), .image(.url("https://x/y.png"))])]), "messages[0].content[1]"),
        (ChatRequest(model: "x", messages: [ChatMessage(role: .user, parts: [.toolResult(id: "1", name: "", content: [], isError: false)])]), "messages[0].content[0]"),
        (ChatRequest(model: "x", messages: [ChatMessage(role: .assistant, parts: [.toolCall(id: "1", name: "f", arguments: "[1]")])]), "messages[0].content[0]"),
        (ChatRequest(model: "x", parallelToolCalls: false), "parallel_tool_calls"),
    ] as [(ChatRequest, String)])
    func writerRefusals(request: ChatRequest, param: String) {
        let error = Self.wireError { () throws(WireError) in _ = try GeminiRequestWriter.body(for: request) }
        #expect(error?.param == param)
    }
}

@Suite("Gemini schemas become JSON Schema", .timeLimit(.minutes(1)))
struct GeminiSchemaTests {
    @Test("OpenAPI-style type names are lower-cased at every depth, nullable becomes a type list, the rest is kept")
    func openAPISchemaBecomesJSONSchema() {
        let schema = #"{"type":"OBJECT","properties":{"city":{"type":"STRING","description":"a \"city\""},"days":{"type":"ARRAY","items":{"type":"INTEGER","nullable":true}}},"required":["city"]}"#
        let converted = String(decoding: GeminiSchema.jsonSchema(fromOpenAPI: Array(schema.utf8)), as: UTF8.self)
        #expect(converted == #"{"type":"object","properties":{"city":{"type":"string","description":"a \"city\""},"days":{"type":"array","items":{"type":["integer","null"]}}},"required":["city"]}"#)
    }

    @Test("a value named type that is not a schema keyword's string is kept as it is")
    func nonStringTypeKept() {
        let schema = #"{"properties":{"type":{"type":"STRING"}}}"#
        let converted = String(decoding: GeminiSchema.jsonSchema(fromOpenAPI: Array(schema.utf8)), as: UTF8.self)
        #expect(converted == #"{"properties":{"type":{"type":"string"}}}"#)
    }
}
