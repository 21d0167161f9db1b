/// The Responses API's stored responses (`responses:` in the file): the router keeps them in memory, within these
/// bounds; past either, the oldest are evicted first.
public struct ResponsesSettings: Sendable, Equatable {
    /// Most responses kept.
    public var maxStored: Int
    /// Most bytes all kept responses take together (the response objects and their conversations).
    public var maxStoredBytes: Int

    public init(maxStored: Int = 10_000, maxStoredBytes: Int = 64 << 20) {
        self.maxStored = maxStored
        self.maxStoredBytes = maxStoredBytes
    }
}
