import Testing

@testable import EdgeRouter

/// Provider text made safe for clients and logs, on its own.
@Suite("Upstream error text: redacted, capped, no control characters")
struct UpstreamErrorTextTests {
    @Test("redaction: configured keys verbatim, Bearer tokens, sk- keys, x-api-key and api_key values")
    func redaction() {
        let text = UpstreamErrorText(secrets: ["my-long-provider-key-123"])
        let cases: [(String, String)] = [
            ("bad key my-long-provider-key-123 here", "my-long-provider-key-123"),
            ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
            ("Incorrect API key provided: sk-proj-ABCDEFGH12345678", "sk-proj-ABCDEFGH12345678"),
            ("header x-api-key: zzzz9999yyyy", "zzzz9999yyyy"),
            ("url ?api_key=qqqq1111wwww&x=1", "qqqq1111wwww"),
            ("\"api-key\": \"k3y-value-0000\"", "k3y-value-0000"),
        ]
        for (input, secret) in cases {
            let cleaned = text.sanitize(input)
            #expect(!cleaned.contains(secret), "\(input) -> \(cleaned)")
            #expect(cleaned.contains("[redacted]"), "\(input) -> \(cleaned)")
        }
    }

    @Test("sanitizing caps the excerpt at 200 characters and removes control characters")
    func capAndControls() {
        let text = UpstreamErrorText(secrets: [])
        let long = text.sanitize(String(repeating: "x", count: 5000))
        #expect(long.count <= 201)
        #expect(text.sanitize("line one\nline two\r\u{1B}[31mred\u{7}") == "line one line two [31mred")
    }

    @Test("connection errors tell clients the kind only; the log detail redacts URL userinfo")
    func connectionErrors() {
        struct Fake: Error, CustomStringConvertible {
            var description: String
        }
        let refused = Fake(description: "connect(descriptor:addr:size:): Connection refused (errno: 111) to 10.1.2.3:8443")
        #expect(UpstreamErrorText.describe(refused) == "could not connect to the provider: connection refused")
        let dns = Fake(description: "DNS error: no address for host secret-host.internal, port 80")
        #expect(UpstreamErrorText.describe(dns) == "could not connect to the provider: DNS lookup failed")
        let text = UpstreamErrorText(secrets: [])
        let logged = text.logDetail(Fake(description: "bad URL http://user:hunter2@host.example:81/v1\nnext"))
        #expect(!logged.contains("hunter2") && logged.contains("host.example:81") && !logged.contains("\n"), "\(logged)")
    }
}
