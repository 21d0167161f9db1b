import EdgeWire

/// What OpenAI sends and receives, as its API reference shows it: the frames of a `gpt-4o` stream with
/// `include_usage`, a chat request of a system prompt, a short exchange and a tool, and a 64-token answer.
enum Fixtures {
    static let prefix =
        #"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"#
        + #""model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_fc9f1d7035","#

    /// The first frame: the role, no content.
    static let roleFrame = Array(
        (prefix + #""choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#).utf8)

    /// One token, the frame a stream is mostly made of.
    static let contentFrame = Array(
        (prefix + #""choices":[{"index":0,"delta":{"content":" world"},"logprobs":null,"finish_reason":null}],"usage":null}"#).utf8)

    static let finishFrame = Array(
        (prefix + #""choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#).utf8)

    /// The `include_usage` frame just before `[DONE]`.
    static let usageFrame = Array(
        (prefix
            + #""choices":[],"usage":{"prompt_tokens":19,"completion_tokens":64,"total_tokens":83,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"#
            + #""completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#).utf8)

    /// A content frame as it arrives on the wire.
    static let contentEvent = Array("data: ".utf8) + contentFrame + Array("\n\n".utf8)

    static let request = Array(
        #"""
        {"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly and cite the tool's figures when you use them."},{"role":"user","content":"What is the weather in Paris today, and should I take an umbrella?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"celsius\"}"}}]},{"role":"tool","tool_call_id":"call_abc123","content":"{\"temperature\":14,\"condition\":\"light rain\",\"precipitation_probability\":0.8}"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}}}],"temperature":0.2,"max_tokens":256,"stream":true,"stream_options":{"include_usage":true},"user":"user-1234"}
        """#.utf8)

    /// The events of a 64-token answer: start, role, 64 pieces of text (quotes and a newline among them), the
    /// finish and the usage.
    static let answerEvents: [StreamEvent] = {
        let words = [
            " It", "'s", " 14", "°C", " in", " Paris", " with", " \"light", " rain\"", ",", "\n", " and", " an", " 80",
            "%", " chance",
        ]
        var events: [StreamEvent] = [
            .start(id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", model: "gpt-4o-2024-08-06", created: 1_741_569_952),
            .role(choice: 0, role: "assistant"),
        ]
        for index in 0..<64 { events.append(.text(choice: 0, text: words[index % words.count])) }
        events.append(.finish(choice: 0, reason: "stop"))
        events.append(.usage(TokenUsage(promptTokens: 19, completionTokens: 64)))
        return events
    }()
}
