import EdgeJSON
/// One server-sent event, as assembled by ``SSEParser``.
///
/// `data` holds the event's data lines joined with `\n`, as raw bytes: decoding is left to the dialect, and a
/// pass-through path can forward the bytes untouched.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field, or nil when the event had none (the default type, `message`).
    public var type: String?
    /// The data lines joined with line feeds.
    public var data: [UInt8]
    /// The `id:` field, when present.
    public var id: String?

    public init(type: String? = nil, data: [UInt8], id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }

    /// The data as a string (lossy on invalid UTF-8; meant for tests and diagnostics).
    public var dataString: String { String(decoding: data, as: UTF8.self) }
}
