/// Resumable streams (`resume:` in the file): how long an answer is kept for a client that left, and how much
/// memory the buffers may take.
public struct ResumeSettings: Sendable, Equatable {
    /// How long an upstream answer goes on with neither its client nor a reader attached, before it is cancelled.
    public var maxUnattended: Duration
    /// How long a finished answer stays fetchable.
    public var retain: Duration
    /// Most bytes one answer's buffer holds; past it the answer is no longer resumable (and, with nobody
    /// attached, cancelled).
    public var maxStreamBytes: Int
    /// Most bytes all buffers hold together; past it finished buffers are evicted oldest first, and new answers are
    /// served unbuffered (`x-edge-resumable: false`) while none can be.
    public var maxTotalBytes: Int

    public init(
        maxUnattended: Duration = .seconds(120), retain: Duration = .seconds(300), maxStreamBytes: Int = 8 << 20,
        maxTotalBytes: Int = 256 << 20
    ) {
        self.maxUnattended = maxUnattended
        self.retain = retain
        self.maxStreamBytes = maxStreamBytes
        self.maxTotalBytes = maxTotalBytes
    }
}
