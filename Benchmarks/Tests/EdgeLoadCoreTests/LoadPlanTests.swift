import Testing

@testable import EdgeLoadCore

struct LoadPlanTests {
    @Test func parsesLoopbackURLs() throws {
        let url = try TargetURL("http://127.0.0.1:8080/v1/chat/completions")
        #expect(url.host == "127.0.0.1" && url.port == 8080 && url.path == "/v1/chat/completions")
        #expect(try TargetURL("http://[::1]:9/").connectHost == "::1")
        #expect(try TargetURL("http://localhost:9").path == "/")
    }

    @Test func refusesAnythingButLoopback() {
        #expect(throws: LoadError.self) { try TargetURL("http://10.0.0.1:80/") }
        #expect(throws: LoadError.self) { try TargetURL("http://example.com:80/") }
        #expect(throws: LoadError.self) { try TargetURL("https://127.0.0.1:443/") }
        #expect(throws: LoadError.self) { try TargetURL("http://127.0.0.1/") }
    }

    @Test func bodyEscapesThePrompt() {
        let spec = RequestSpec(model: "bench", prompt: "say \"hi\"\n", stream: true, apiKey: nil)
        #expect(spec.body == #"{"model":"bench","messages":[{"role":"user","content":"say \"hi\"\n"}],"stream":true}"#)
    }

    @Test func recordersMerge() {
        var first = LoadRecorder()
        var second = LoadRecorder()
        LoadRecorder.record(1_000_000, in: &first.total)
        LoadRecorder.record(3_000_000, in: &second.total)
        first.fail(.status(503))
        second.fail(.status(503))
        second.fail(.streamCut)
        first.merge(second)
        #expect(first.total.totalCount == 2)
        #expect(first.failures[.status(503)] == 2 && first.failures[.streamCut] == 1)
        #expect(FailureKind.status(503).name == "http_503")
    }
}
