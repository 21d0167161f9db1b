import Benchmark
import EdgeRouter
import RoutingCore

/// The response cache's key, which every cacheable request computes before its lookup: the body canonicalised
/// (members sorted, strings re-escaped, excluded fields dropped) and hashed with SHA-256 with the tenant, dialect
/// and model. A short chat request (one user message, 118 bytes) and an agent's turn (a system prompt, 8 messages, 2
/// tools: 1,831 bytes). Their thresholds pin the allocations per key (`Thresholds/`; names without spaces, which
/// package-benchmark could not find thresholds for): a sample of 1,000 keys counts 1,000 times the key's
/// allocations plus a few of the harness's own (16 when the thresholds were recorded; a run failed the exact check
/// on those alone, with the same 10 per key), so the check allows 100 more per sample: an extra allocation per key
/// is 1,000 more and still fails it.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 100])])

    let short = Array(#"{"model":"demo-mini","stream":true,"temperature":0,"messages":[{"role":"user","content":"Hello, how are you today?"}]}"#.utf8)
    let turn = (0..<8).map { index in
        #"{"role":"\#(index % 2 == 0 ? "user" : "assistant")","content":"Message number \#(index) of the conversation, with a sentence or two of ordinary text in it so that it weighs what a real turn does."}"#
    }.joined(separator: ",")
    let tools = #"[{"type":"function","function":{"name":"get_weather","description":"The weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"search","description":"Search the web","parameters":{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer"}},"required":["query"]}}}]"#
    let agent = Array(
        (#"{"model":"demo-chat","stream":true,"stream_options":{"include_usage":true},"temperature":0,"max_tokens":1024,"#
            + #""messages":[{"role":"system","content":"You are a careful assistant."},\#(turn)],"tools":\#(tools),"user":"u-1"}"#).utf8)

    for (name, body) in [("short", short), ("agentTurn", agent)] {
        Benchmark("CacheKey.make(\(name))") { benchmark in
            for _ in benchmark.scaledIterations {
                let key = body.withUnsafeBufferPointer { bytes in
                    CacheKey.make(tenant: "bench", dialect: .openai, model: "demo-chat", passedOn: [], body: bytes)
                }
                blackHole(key)
            }
        }
    }
}
