@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("Anthropic requests: check and splice, reader, writer", .timeLimit(.minutes(5)))
struct AnthropicRequestTests {
    typealias Support = AnthropicTestSupport

    static func parse(_ text: String) throws(WireError) -> AnthropicMessagesRequest {
        try AnthropicMessagesRequest.parse(Array(text.utf8))
    }

    static func param(_ body: String) -> String? {
        do {
            _ = try parse(body)
            return "accepted"
        } catch {
            return error.param ?? "no param"
        }
    }

    // MARK: - parse and splice

    @Test("the splice keeps unknown fields byte for byte, replaces model and forces stream, keeps the last duplicate")
    func splice() throws {
        let body = #"{"model":"alias","stream":false,"max_tokens":64,"future_field": {"a" : [1, 2.50, "\u00e9"]},"messages":[{"role":"user","content":"hi"}],"temperature":0.7,"stream":null,"temperature":0.70,"model":"again"}"#
        let request = try Self.parse(body)
        #expect(request.model == "again")
        #expect(!request.stream)
        #expect(Support.text(request.upstreamBody(model: "claude-\"x\"")) == #"{"model":"claude-\"x\"","max_tokens":64,"future_field": {"a" : [1, 2.50, "\u00e9"]},"messages":[{"role":"user","content":"hi"}],"temperature":0.70,"stream":true}"#)
    }

    @Test("stream true is read; whitespace and a byte order mark are fine")
    func streamTrue() throws {
        let request = try AnthropicMessagesRequest.parse([0xEF, 0xBB, 0xBF] + Array(" { \"stream\" : true , \"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"assistant\",\"content\":[]}] } ".utf8))
        #expect(request.stream)
        #expect(Support.text(request.upstreamBody(model: "u")) == #"{"model":"u","max_tokens":1,"messages":[{"role":"assistant","content":[]}],"stream":true}"#)
    }

    @Test("refusals name the field", arguments: [
        (#"{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#, "model"),
        (#"{"model":"","max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#, "model"),
        (#"{"model":3,"max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#, "model"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#, "max_tokens"),
        (#"{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#, "max_tokens"),
        (#"{"model":"m","max_tokens":1.5,"messages":[{"role":"user","content":"x"}]}"#, "max_tokens"),
        (#"{"model":"m","max_tokens":"9","messages":[{"role":"user","content":"x"}]}"#, "max_tokens"),
        (#"{"model":"m","max_tokens":1}"#, "messages"),
        (#"{"model":"m","max_tokens":1,"messages":[]}"#, "messages"),
        (#"{"model":"m","max_tokens":1,"messages":{}}"#, "messages"),
        (#"{"model":"m","max_tokens":1,"messages":["x"]}"#, "messages[0]"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user"},{"content":"x"}]}"#, "messages[1].role"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}"#, "messages[0].role"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":1}]}"#, "messages[0].role"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user"}],"stream":"yes"}"#, "stream"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user"}],}"#, "no param"),
        (#"[1]"#, "no param"),
        (#""text""#, "no param"),
    ])
    func refusals(body: String, param: String) {
        #expect(Self.param(body) == param)
    }

    // MARK: - reader

    static let rich = #"""
        {"model":"claude-sonnet-4-5","max_tokens":2048,"stream":true,
         "system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"Be kind."}],
         "metadata":{"user_id":"u1"},"service_tier":"auto","cache_control":{"type":"ephemeral"},
         "messages":[
          {"role":"user","content":[
            {"type":"text","text":"What is in these?"},
            {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
            {"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}}]},
          {"role":"assistant","content":[
            {"type":"thinking","thinking":"Look up the weather.","signature":"EqQB=="},
            {"type":"redacted_thinking","data":"EmwKAhgB"},
            {"input":{"city": "Paris", "n": 1.50},"type":"tool_use","id":"toolu_1","name":"get_weather"}]},
          {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18°C"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}],"is_error":false},
            {"type":"tool_result","tool_use_id":"toolu_unknown","content":"boom","is_error":true}]},
          {"role":"user","content":"And tomorrow?"}],
         "tools":[{"name":"get_weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},
                  {"type":"custom","name":"noop","input_schema":{"type":"object"}}],
         "tool_choice":{"type":"any","disable_parallel_tool_use":true},
         "temperature":0.70,"top_p":0.9,"top_k":40,"stop_sequences":["END"],
         "thinking":{"type":"enabled","budget_tokens":1500}}
        """#

    static let richRequest = ChatRequest(
        model: "claude-sonnet-4-5", stream: true, system: ["Be brief.", "Be kind."],
        messages: [
            ChatMessage(role: .user, parts: [
                .text("What is in these?"), .image(.base64(mediaType: "image/png", data: "iVBORw0KGgo=")),
                .image(.url("https://example.com/a.jpg")),
            ]),
            ChatMessage(role: .assistant, parts: [
                .thinking(text: "Look up the weather.", signature: "EqQB=="), .redactedThinking(data: "EmwKAhgB"),
                .toolCall(id: "toolu_1", name: "get_weather", arguments: #"{"city": "Paris", "n": 1.50}"#),
            ]),
            ChatMessage(role: .user, parts: [
                .toolResult(id: "toolu_1", name: "get_weather", content: [.text("18°C"), .image(.base64(mediaType: "image/jpeg", data: "/9j/"))], isError: false),
                .toolResult(id: "toolu_unknown", name: "", content: [.text("boom")], isError: true),
            ]),
            ChatMessage(role: .user, parts: [.text("And tomorrow?")]),
        ],
        tools: [
            ToolDefinition(name: "get_weather", description: "Weather now", parameters: RawJSON(#"{"type":"object","properties":{"city":{"type":"string"}}}"#)),
            ToolDefinition(name: "noop", parameters: RawJSON(#"{"type":"object"}"#)),
        ],
        toolChoice: .required, parallelToolCalls: false, maxTokens: 2048, temperature: JSONNumber("0.70"), topP: JSONNumber("0.9"),
        topK: 40, stopSequences: ["END"], reasoning: ReasoningRequest(budgetTokens: 1500))

    @Test("a rich request (system blocks, images, thinking, tool use and results, tools, choice, sampling) reads to the expected ChatRequest; hints are ignored")
    func readRich() throws {
        #expect(try AnthropicRequestReader.read(Array(Self.rich.utf8)) == Self.richRequest)
    }

    @Test("unknown fields, blocks, image sources, server tools and adaptive thinking are listed as untranslatable")
    func untranslatable() throws {
        let request = try AnthropicRequestReader.read(Array(#"""
            {"model":"m","max_tokens":5,"container":"c","mcp_servers":[],"context_management":{},
             "messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"document","source":{}},
                {"type":"image","source":{"type":"file","file_id":"f"}},
                {"type":"tool_result","tool_use_id":"x","content":[{"type":"search_result"}]}]}],
             "tools":[{"type":"web_search_20250305","name":"web_search"}],"thinking":{"type":"adaptive"},"system":"s",
             "tool_choice":{"type":"tool","name":"t"}}
            """#.utf8))
        #expect(request.untranslatable == [
            "container", "mcp_servers", "context_management", "messages[0].content[1]", "messages[0].content[2].source",
            "messages[0].content[3].content[0]", "tools[0]", "thinking",
        ])
        #expect(request.system == ["s"])
        #expect(request.toolChoice == .tool(name: "t"))
        #expect(request.parallelToolCalls == nil)
        #expect(request.reasoning == nil)
        #expect(throws: WireError(
            "'container' cannot be sent to an Anthropic-dialect provider of this model: the Messages API has no equivalent.", param: "container")) {
            try AnthropicRequestWriter.body(for: request, model: "x", defaultMaxTokens: 10)
        }
    }

    @Test("reader refusals name the field", arguments: [
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"text":"a"}]}]}"#, "messages[0].content[0].type"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text"}]}]}"#, "messages[0].content[0].text"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"x"}}]}]}"#, "messages[0].content[0].source.media_type"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"b","input":[]}]}]}"#, "messages[0].content[0].input"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","is_error":"no"}]}]}"#, "messages[0].content[0].is_error"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":7}]}"#, "messages[0].content"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}"#, "messages[0].content"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"system":[{"type":"image"}]}"#, "system[0].type"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"a"}]}"#, "tools[0].input_schema"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}"#, "tool_choice.name"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"maybe"}}"#, "tool_choice.type"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled"}}"#, "thinking.budget_tokens"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#, "temperature"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"stop_sequences":["a",1]}"#, "stop_sequences[1]"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"top_k":1e999}"#, "top_k"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#, "max_tokens"),
    ])
    func readerRefusals(body: String, param: String) {
        do {
            _ = try AnthropicRequestReader.read(Array(body.utf8))
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.param == param)
        }
    }

    // MARK: - writer

    @Test("the rich request written for Anthropic has the same content, thinking rules applied, and reads back the same")
    func writeRich() throws {
        // With thinking Anthropic takes only `auto` (or `none`): the rich request's forced choice is refused (see
        // the writer's refusals), so it is written here with `auto`.
        var rich = Self.richRequest
        rich.toolChoice = .auto
        let body = try AnthropicRequestWriter.body(for: rich, model: "claude-upstream", defaultMaxTokens: 4096)
        let json = try #require(Support.json(body.readableBytesView))
        let expected = try #require(Support.json(#"""
            {"model":"claude-upstream","max_tokens":2048,"stream":true,"system":"Be brief.\n\nBe kind.",
             "messages":[
              {"role":"user","content":[{"type":"text","text":"What is in these?"},
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                {"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}}]},
              {"role":"assistant","content":[{"type":"thinking","thinking":"Look up the weather.","signature":"EqQB=="},
                {"type":"redacted_thinking","data":"EmwKAhgB"},
                {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris","n":1.5}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18°C"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}]},
                {"type":"tool_result","tool_use_id":"toolu_unknown","content":[{"type":"text","text":"boom"}],"is_error":true}]},
              {"role":"user","content":[{"type":"text","text":"And tomorrow?"}]}],
             "tools":[{"name":"get_weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},
                      {"name":"noop","input_schema":{"type":"object"}}],
             "tool_choice":{"type":"auto","disable_parallel_tool_use":true},
             "stop_sequences":["END"],"top_p":0.9,"thinking":{"type":"enabled","budget_tokens":1500}}
            """#))
        #expect(json == expected)
        #expect(Support.text(body).contains(#""top_p":0.9"#))
        var back = try AnthropicRequestReader.read(Array(body.readableBytesView))
        back.model = rich.model
        var expectedBack = rich
        // Written as one system string, without temperature and top_k (thinking is on).
        expectedBack.system = ["Be brief.\n\nBe kind."]
        expectedBack.temperature = nil
        expectedBack.topK = nil
        #expect(back == expectedBack)
    }

    @Test("without thinking: temperature and top_k are written as given, default max_tokens, parallel off on auto, empty arguments are {}")
    func writePlain() throws {
        let request = ChatRequest(
            model: "gpt", messages: [
                ChatMessage(role: .user, parts: [.text("hi")]),
                ChatMessage(role: .assistant, parts: [.thinking(text: "unsigned", signature: nil)]),
                ChatMessage(role: .assistant, parts: [.thinking(text: "unsigned", signature: nil), .toolCall(id: "c", name: "f", arguments: " ")]),
            ],
            tools: [ToolDefinition(name: "f")], parallelToolCalls: false, temperature: JSONNumber("0.70"), topK: 3,
            responseFormat: .text, choiceCount: 1)
        let text = Support.text(try AnthropicRequestWriter.body(for: request, model: "claude", defaultMaxTokens: 4096))
        #expect(text == #"{"model":"claude","max_tokens":4096,"stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":[{"type":"tool_use","id":"c","name":"f","input":{}}]}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true},"temperature":0.70,"top_k":3}"#)
    }

    @Test("thinking budgets below 1,024 are raised, and max_tokens is raised above the budget")
    func thinkingBudget() throws {
        var request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, parts: [.text("x")])], maxTokens: 500, reasoning: ReasoningRequest(budgetTokens: 10))
        var text = Support.text(try AnthropicRequestWriter.body(for: request, model: "c", defaultMaxTokens: 4096))
        #expect(text.contains(#""max_tokens":5120,"#))
        #expect(text.contains(#""thinking":{"type":"enabled","budget_tokens":1024}"#))
        request.reasoning = ReasoningRequest(effort: "high")
        request.maxTokens = 32_000
        text = Support.text(try AnthropicRequestWriter.body(for: request, model: "c", defaultMaxTokens: 4096))
        #expect(text.contains(#""max_tokens":32000,"#))
        #expect(text.contains(#""budget_tokens":24576"#))
    }

    @Test("writer refusals name the field: n, response_format, tool-call arguments that are not an object")
    func writerRefusals() {
        let base = ChatRequest(model: "m", messages: [ChatMessage(role: .user, parts: [.text("x")])])
        var request = base
        request.choiceCount = 2
        #expect(Self.writerParam(request) == "n")
        request = base
        request.responseFormat = .jsonObject
        #expect(Self.writerParam(request) == "response_format")
        request.responseFormat = .jsonSchema(name: "s", schema: RawJSON("{}"), strict: true)
        #expect(Self.writerParam(request) == "response_format")
        request = base
        request.messages.append(ChatMessage(role: .assistant, parts: [
            .toolCall(id: "a", name: "f", arguments: "{}"), .text("t"), .toolCall(id: "b", name: "g", arguments: "[1]"),
        ]))
        #expect(Self.writerParam(request) == "messages[1].tool_calls[1].function.arguments")
        request.messages[1].parts[2] = .toolCall(id: "b", name: "g", arguments: "{\"a\":1} x")
        #expect(Self.writerParam(request) == "messages[1].tool_calls[1].function.arguments")
    }

    static func writerParam(_ request: ChatRequest) -> String? {
        do {
            _ = try AnthropicRequestWriter.body(for: request, model: "c", defaultMaxTokens: 10)
            return "accepted"
        } catch {
            return error.param
        }
    }

    @Test("tool choices map both ways: auto, any, tool, none")
    func toolChoices() throws {
        for (choice, json) in [(ToolChoice.auto, #"{"type":"auto"}"#), (.required, #"{"type":"any"}"#), (.tool(name: "f"), #"{"type":"tool","name":"f"}"#), (.none, #"{"type":"none"}"#)] {
            let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, parts: [.text("x")])], tools: [ToolDefinition(name: "f")], toolChoice: choice)
            let body = try AnthropicRequestWriter.body(for: request, model: "c", defaultMaxTokens: 10)
            #expect(Support.text(body).contains(#""tool_choice":"# + json))
            #expect(try AnthropicRequestReader.read(Array(body.readableBytesView)).toolChoice == choice)
        }
    }
}
