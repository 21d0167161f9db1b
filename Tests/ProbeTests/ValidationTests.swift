import Testing
@testable import Probe

extension ProbeTests {
    @Suite struct Validation {
        @Test func nonHTTPSchemesAreRejected() async throws {
            try await withEngine { engine in
                for url in ["ftp://127.0.0.1/x", "127.0.0.1:80/x", "file:///etc/passwd"] {
                    let error = await thrownError { try await engine.probe(ProbeRequest(url: url)) }
                    #expect(error?.code == .invalidRequest, "\(url)")
                }
            }
        }

        @Test func headerInjectionIsRejectedWithoutEchoingTheValue() async throws {
            try await withEngine { engine in
                let request = ProbeRequest(
                    url: "http://127.0.0.1:9/x",
                    headers: [(name: "Authorization", value: "Bearer sk-inject-secret\r\nX-Evil: 1")]
                )
                let error = await thrownError { try await engine.probe(request) }
                #expect(error?.code == .invalidRequest)
                #expect(error?.message.contains("sk-inject-secret") == false)
            }
        }

        @Test func nonPositiveTimeoutsAreRejected() async throws {
            try await withEngine { engine in
                var request = ProbeRequest(url: "http://127.0.0.1:9/x")
                request.timeouts.firstToken = .zero
                let error = await thrownError { try await engine.probe(request) }
                #expect(error?.code == .invalidRequest)
            }
        }

        @Test func invalidEngineConfigurationIsRejected() {
            #expect(throws: ProbeError.self) { try ProbeEngine(configuration: .init(maxConcurrentTransfers: 0)) }
        }

        @Test func requestDescriptionIsRedacted() {
            let request = ProbeRequest(
                url: "https://user:pw@api.example.com:8443/v1/chat?key=sk-desc-secret",
                headers: [(name: "Authorization", value: "Bearer sk-desc-secret")],
                body: Array("sk-desc-secret".utf8)
            )
            #expect(request.description == "ProbeRequest(POST https://api.example.com:8443, 1 header(s), 14 body byte(s))")
            #expect(request.debugDescription == request.description)
            var dumped = ""
            dump(request, to: &dumped)
            #expect(!dumped.contains("sk-desc-secret"))
            #expect(!String(reflecting: request).contains("sk-desc-secret"))
        }

        @Test func originDropsCredentialsPathAndQuery() {
            #expect(RedactedURL.origin(of: "HTTPS://u:p@Host.example:443/a/b?key=1#f") == "https://Host.example:443")
            #expect(RedactedURL.origin(of: "http://127.0.0.1:8080?x=1") == "http://127.0.0.1:8080")
            #expect(RedactedURL.scrub("Failed for http://h/p?key=s", url: "http://h/p?key=s") == "Failed for http://h/…")
        }

        @Test func durationsRoundUpToWholeMilliseconds() {
            #expect(Duration.milliseconds(250).curlMilliseconds == 250)
            #expect(Duration.microseconds(1).curlMilliseconds == 1)
            #expect(Duration.microseconds(1500).curlMilliseconds == 2)
            #expect(Duration.seconds(Int64.max).curlMilliseconds == Int.max)
        }
    }
}
