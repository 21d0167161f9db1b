import Testing

@testable import EdgeLoadCore

/// The content check decides what counts as the first token, so every chunk shape the servers send is pinned.
struct ContentDeltaTests {
    @Test func contentChunkFromTheSimulator() {
        let chunk = #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"The"},"logprobs":null,"finish_reason":null}]}"#
        #expect(ContentDelta.hasContent(Array(chunk.utf8)))
    }

    @Test func roleOnlyChunkIsNotContent() {
        let chunk = #"{"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
        #expect(!ContentDelta.hasContent(Array(chunk.utf8)))
    }

    @Test func finishUsageAndNullContentAreNotContent() {
        for chunk in [
            #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":16,"total_tokens":19}}"#,
            #"{"choices":[{"delta":{"content":null,"role":"assistant"}}]}"#,
            #"{"choices":[{"delta":null}]}"#,
            #"{"error":{"message":"boom"}}"#,
        ] {
            #expect(!ContentDelta.hasContent(Array(chunk.utf8)), "\(chunk)")
        }
    }

    @Test func keysInAnyOrderWithNestedValuesBeforeThem() {
        // LiteLLM puts other keys (with nested objects and escaped quotes) before the ones we look for.
        let chunk = #"{"id":"x","meta":{"a":[1,{"b":"}"}]},"s":"q\"uote","choices":[{"finish_reason":null,"index":0,"delta":{"tool_calls":null,"role":"assistant","content":" fox","function_call":null}}]}"#
        #expect(ContentDelta.hasContent(Array(chunk.utf8)))
    }

    @Test func onlyTheFirstChoiceCounts() {
        let chunk = #"{"choices":[{"delta":{"content":""}},{"delta":{"content":"second"}}]}"#
        #expect(!ContentDelta.hasContent(Array(chunk.utf8)))
    }

    @Test func escapedContentIsContent() {
        #expect(ContentDelta.hasContent(Array(#"{"choices":[{"delta":{"content":"\""}}]}"#.utf8)))
    }

    @Test func malformedInputIsNotContent() {
        for text in ["", "{", #"{"choices":[{"delta":{"content":"#, #"{"id":"broken","choices":[{"delta":{"content":"#, "[DONE]", "null"] {
            #expect(!ContentDelta.hasContent(Array(text.utf8)), "\(text)")
        }
    }
}
