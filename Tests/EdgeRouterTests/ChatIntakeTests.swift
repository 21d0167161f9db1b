import HTTPTypes
import Logging
import RoutingCore
import Testing

@testable import EdgeRouter

/// The intake on its own: plain values in, an admitted request or the client's error out; no server, no socket.
@Suite("Chat intake", .timeLimit(.minutes(5)))
struct ChatIntakeTests {
    static let yaml = """
        providers:
          - { id: east, base_url: "http://127.0.0.1:1/v1", region: us-east }
          - { id: west, base_url: "http://127.0.0.1:2/v1", region: eu-west }
          - { id: other, base_url: "http://127.0.0.1:3/v1" }
        models:
          - name: m
            aliases: [m-latest]
            deployments: [{ provider: east, model: m-east }, { provider: west, model: m-west }]
          - name: secret
            deployments: [{ provider: other, model: s }]
        keys:
          - { id: client, key: "client-key", models: [m] }
        """

    static func intake() throws -> ChatIntake {
        let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: [:])
        let logger = Logger(label: "intake-test")
        return ChatIntake(
            configuration: configuration,
            engine: RoutingEngine(models: configuration.models, settings: configuration.routing, logger: logger),
            locator: try ClientLocator(settings: configuration.geo, logger: logger))
    }

    static let body = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}"#.utf8)

    static func admit(
        _ intake: ChatIntake, body: [UInt8] = body, headers: HTTPFields = [:], key: GatewayKey? = nil
    ) throws(EdgeRouterError) -> AdmittedChat {
        let key = key ?? intake.configuration.keys.key(forSecret: "client-key")
        let placement = intake.locate(headers, peer: nil, key: key)
        return try intake.admit(endpoint: .openAI, body: body, headers: headers, key: key, placement: placement, received: .now)
    }

    @Test("a valid request is admitted with its model, a plan over both deployments and the configured deadline")
    func admitted() throws {
        let intake = try Self.intake()
        let before = ContinuousClock.now
        let admitted = try Self.admit(intake)
        #expect(admitted.model.name == "m")
        #expect(admitted.request.stream)
        #expect(admitted.plan.candidates.map(\.deployment.provider.id).sorted() == ["east", "west"])
        #expect(admitted.deadline >= before + .seconds(120))
    }

    @Test("the key is checked from the headers alone: missing and unknown keys are 401")
    func authentication() throws {
        let intake = try Self.intake()
        #expect(throws: EdgeRouterError.self) { try intake.authenticate([:]) }
        #expect(throws: EdgeRouterError.self) { try intake.authenticate([.authorization: "Bearer nope"]) }
        #expect(try intake.authenticate([.authorization: "Bearer client-key"]).id == "client")
    }

    @Test("refusals: bad JSON 400, unknown model 404, model not allowed 403, bad x-edge-timeout-ms 400, unknown pinned provider 404")
    func refusals() throws {
        let intake = try Self.intake()
        func code(_ body: String, headers: HTTPFields = [:]) -> (EdgeRouterError.Code, Int)? {
            do {
                _ = try Self.admit(intake, body: Array(body.utf8), headers: headers)
                return nil
            } catch {
                return (error.code, error.status)
            }
        }
        let messages = #""messages":[{"role":"user","content":"hi"}]"#
        #expect(code("{") .map { "\($0.0) \($0.1)" } == "invalidRequest 400")
        #expect(code(#"{"model":"nope",\#(messages)}"#).map { "\($0.0) \($0.1)" } == "modelNotFound 404")
        #expect(code(#"{"model":"secret",\#(messages)}"#).map { "\($0.0) \($0.1)" } == "modelNotAllowed 403")
        #expect(
            code(#"{"model":"m",\#(messages)}"#, headers: [HTTPField.Name("x-edge-timeout-ms")!: "soon"])
                .map { "\($0.0) \($0.1)" } == "invalidRequest 400")
        #expect(code(#"{"model":"ghost/m",\#(messages)}"#).map { "\($0.0) \($0.1)" } == "modelNotFound 404")
    }

    @Test("an alias, a pinned provider and a shorter x-edge-timeout-ms shape the plan and the deadline")
    func shaping() throws {
        let intake = try Self.intake()
        let before = ContinuousClock.now
        let pinned = try Self.admit(
            intake, body: Array(#"{"model":"west/m-latest","messages":[{"role":"user","content":"hi"}]}"#.utf8),
            headers: [HTTPField.Name("x-edge-timeout-ms")!: "1500"])
        #expect(pinned.model.name == "m")
        #expect(pinned.plan.candidates.map(\.deployment.provider.id) == ["west"])
        #expect(pinned.plan.reason == .pinned)
        #expect(pinned.deadline < before + .seconds(2) + .milliseconds(500))
    }
}
