/// A Responses API response as the request log keeps it (table `responses`, migration `v4-responses`), so that
/// `GET /v1/responses/{id}` and `previous_response_id` work after a restart.
public struct StoredResponse: Sendable, Equatable {
    /// `resp_…`.
    public var responseID: String
    /// The gateway key that made it: only that key may read or delete it.
    public var keyID: String
    /// When it was stored, in Unix milliseconds (retention deletes it with the requests of that time).
    public var createdAtMs: Int64
    /// The response object's JSON, as `GET` returns it.
    public var response: String
    /// The conversation that led to it and its output, as an OpenAI chat-completions body (the router's neutral
    /// form written by its OpenAI writer, read back by its OpenAI reader).
    public var conversation: String

    public init(responseID: String, keyID: String, createdAtMs: Int64, response: String, conversation: String) {
        self.responseID = responseID
        self.keyID = keyID
        self.createdAtMs = createdAtMs
        self.response = response
        self.conversation = conversation
    }
}
