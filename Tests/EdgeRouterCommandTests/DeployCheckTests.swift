import Foundation
import Testing

@testable import edge_router

@Suite("edge-router check --deploy")
struct DeployCheckTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy")

    @Test("the repository's deploy/ folder passes and the report counts its files and names")
    func repositoryPasses() throws {
        let (text, ok) = try CheckCommand.deployReport(directory: Self.deploy)
        #expect(ok, "\(text)")
        #expect(text.hasPrefix("deploy files OK: "))
        #expect(text.contains("metric names, all exported by the router"))
    }

    @Test("an edited copy with a misspelt metric fails, naming the file, the line and the name; recording-rule names pass")
    func misspeltNameFails() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("edge-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("prometheus"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rules = """
            groups:
              - name: edited
                rules:
                  - record: edge:requests:rate5m
                    expr: sum(rate(edge_requests_total[5m]))
                  - alert: Typo
                    expr: edge_breaker_state == 1
            """
        try rules.write(to: folder.appendingPathComponent("prometheus/rules.yaml"), atomically: true, encoding: .utf8)
        let (text, ok) = try CheckCommand.deployReport(directory: folder)
        #expect(!ok)
        #expect(text.contains("prometheus/rules.yaml:7: edge_breaker_state\n"), "\(text)")
        #expect(!text.contains("edge_requests_total"))
        #expect(!text.contains("edge:requests"))
    }
}
