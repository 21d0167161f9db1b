import Testing

@testable import edge_router

@Suite("edge-router sim --dialect")
struct SimCommandTests {
    @Test("--dialect takes openai, anthropic or gemini (default openai) and refuses anything else")
    func dialect() throws {
        #expect(try SimCommand.parse([]).dialect == "openai")
        #expect(try SimCommand.parse(["--dialect", "anthropic"]).dialect == "anthropic")
        #expect(try SimCommand.parse(["--dialect", "gemini"]).dialect == "gemini")
        #expect(throws: (any Error).self) { try SimCommand.parse(["--dialect", "cohere"]) }
    }
}
