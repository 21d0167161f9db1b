import EdgeRouter
import Testing

@testable import edge_router

@Suite("edge-router check shows no credentials")
struct CheckCommandTests {
    static func yaml(baseURL: String) -> String {
        """
        providers:
          - id: proxied
            base_url: "\(baseURL)"
            api_key: sk-provider-key
        models:
          - name: m
            deployments: [ { provider: proxied, model: upstream-m } ]
        keys:
          - { id: client, key: client-key }
        """
    }

    @Test("a password in a provider's base_url is not printed; the host and path are")
    func redactsUserInfo() throws {
        let configuration = try ConfigurationLoader.parse(
            yaml: Self.yaml(baseURL: "https://user:hunter2-secret@proxy.example.com:8443/openai/v1"), environment: [:])
        let report = CheckCommand.report(configuration)
        #expect(!report.contains("hunter2-secret"))
        #expect(!report.contains("user:"))
        #expect(!report.contains("sk-provider-key"))
        #expect(report.contains("proxied  openai  https://proxy.example.com:8443/openai/v1  region default"))
    }

    @Test("a credential in a base_url's query is not printed either")
    func redactsQuery() throws {
        let configuration = try ConfigurationLoader.parse(
            yaml: Self.yaml(baseURL: "https://api.example.com/v1?key=query-secret"), environment: [:])
        let report = CheckCommand.report(configuration)
        #expect(!report.contains("query-secret"))
        #expect(report.contains("https://api.example.com/v1?…"))
    }

    @Test("a base_url refused as invalid is quoted without its password")
    func invalidURLRedacted() {
        #expect {
            _ = try ConfigurationLoader.parse(yaml: Self.yaml(baseURL: "ftp://user:hunter2-secret@proxy.example.com/v1"), environment: [:])
        } throws: { error in
            let message = (error as? EdgeRouterError)?.message ?? ""
            return message.contains("'ftp://proxy.example.com/v1' is not an http(s) URL") && !message.contains("hunter2-secret")
        }
    }
}
