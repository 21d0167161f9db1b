
@testable import EdgeRouter
import HTTPTypes
import Logging
import NIOCore
import RoutingCore
import Testing

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

/// Admission of requests of other dialects than their deployments': translation is done at admission, and a
/// deployment whose dialect cannot carry the request leaves the plan.
@Suite("Intake across dialects", .timeLimit(.minutes(1)))
struct ChatIntakeTranslationTests {
    static func intake(dialects: [String]) throws -> ChatIntake {
        let providers = dialects.enumerated().map { index, dialect in
            "  - { id: p\(index), dialect: \(dialect), base_url: \"http://127.0.0.1:\(9000 + index)\" }"
        }.joined(separator: "\n")
        let deployments = dialects.indices.map { "      - { provider: p\($0), model: up-\($0) }" }.joined(separator: "\n")
        let configuration = try ConfigurationLoader.parse(
            yaml: """
                providers:
                \(providers)
                models:
                  - name: m
                    default_max_tokens: 333
                    deployments:
                \(deployments)
                keys:
                  - { id: client, key: client-key }
                """, environment: [:])
        return ChatIntake(
            configuration: configuration,
            engine: RoutingEngine(models: configuration.models, settings: configuration.routing, logger: Logger(label: "test")),
            locator: try ClientLocator(settings: configuration.geo, logger: .init(label: "test")))
    }

    static func admit(_ intake: ChatIntake, _ endpoint: ChatEndpoint, _ body: String) throws(EdgeRouterError) -> AdmittedChat {
        let key = intake.configuration.keys.key(forSecret: "client-key")
        return try intake.admit(
            endpoint: endpoint, body: Array(body.utf8), headers: [:], key: key, placement: intake.locate([:], peer: nil, key: key),
            received: .now)
    }

    @Test("an OpenAI request for an Anthropic deployment is translated at admission, with the model's default max_tokens")
    func translatedAtAdmission() throws {
        let intake = try Self.intake(dialects: ["anthropic"])
        let admitted = try Self.admit(intake, .openAI, #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#)
        let deployment = try #require(admitted.plan.candidates.first?.deployment)
        let body = String(buffer: admitted.request.upstreamBody(for: deployment))
        #expect(body.contains(#""model":"up-0""#))
        #expect(body.contains(#""max_tokens":333"#))
        #expect(body.contains(#""stream":true"#))
    }

    @Test("a deployment whose dialect cannot take the request leaves the plan; the others stay in order")
    func untranslatableDeploymentLeavesPlan() throws {
        let intake = try Self.intake(dialects: ["anthropic", "openai", "gemini"])
        let admitted = try Self.admit(intake, .openAI, #"{"model":"m","top_p":0.5,"n":2,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(admitted.plan.candidates.map(\.deployment.provider.id) == ["p1", "p2"])
    }

    @Test("when no deployment can take the request it is refused with a 400 naming the field")
    func refusedWhenNoneCanTakeIt() throws {
        let intake = try Self.intake(dialects: ["anthropic", "gemini"])
        #expect(throws: EdgeRouterError.self) {
            try Self.admit(intake, .openAI, #"{"model":"m","seed":3,"messages":[{"role":"user","content":"hi"}]}"#)
        }
        do {
            _ = try Self.admit(intake, .openAI, #"{"model":"m","seed":3,"messages":[{"role":"user","content":"hi"}]}"#)
        } catch {
            #expect(error.code == .invalidRequest)
            #expect(error.param == "seed")
        }
    }

    @Test("a request of the deployment's own dialect is not read into the neutral form and passes through")
    func sameDialectPassesThrough() throws {
        let intake = try Self.intake(dialects: ["anthropic"])
        let body = #"{"model":"m","max_tokens":5,"container":"c-1","messages":[{"role":"user","content":"hi"}]}"#
        let admitted = try Self.admit(intake, .anthropic, body)
        let deployment = try #require(admitted.plan.candidates.first?.deployment)
        #expect(admitted.request.translated.isEmpty)
        #expect(String(buffer: admitted.request.upstreamBody(for: deployment)) == #"{"model":"up-0","max_tokens":5,"container":"c-1","messages":[{"role":"user","content":"hi"}],"stream":true}"#)
    }
}
