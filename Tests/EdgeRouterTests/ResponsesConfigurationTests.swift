@testable import EdgeRouter
import Testing

@Suite("Configuration: the responses section", .timeLimit(.minutes(1)))
struct ResponsesConfigurationTests {
    @Test("responses.max_stored and max_stored_bytes are read; without the section the defaults are 10,000 and 64 MiB")
    func read() throws {
        let configured = try ConfigurationLoader.parse(
            yaml: ConfigurationTests.valid + "\nresponses: { max_stored: 50, max_stored_bytes: 4096 }\n", environment: ConfigurationTests.environment)
        #expect(configured.responses == ResponsesSettings(maxStored: 50, maxStoredBytes: 4096))
        let defaulted = try ConfigurationLoader.parse(yaml: ConfigurationTests.valid, environment: ConfigurationTests.environment)
        #expect(defaulted.responses == ResponsesSettings(maxStored: 10_000, maxStoredBytes: 64 << 20))
    }

    @Test("a negative bound and an unknown key are reported with their paths")
    func mistakes() {
        let issues = ConfigurationTests.issues(ConfigurationTests.valid + "\nresponses: { max_stored: -1, max_bytes: 5 }\n")
        #expect(issues.contains { $0.hasPrefix("responses.max_stored:") }, "\(issues)")
        #expect(issues.contains { $0.contains("max_bytes") }, "\(issues)")
    }
}
