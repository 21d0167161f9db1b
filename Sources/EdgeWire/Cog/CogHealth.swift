import EdgeJSON

/// Cog's `GET /health-check` answer: its `status` (`STARTING`, `READY`, `BUSY`, `SETUP_FAILED`, `DEFUNCT`,
/// `UNHEALTHY`).
public enum CogHealth {
    /// The `status` of a health answer; nil when `bytes` are not a JSON object with a string `status`.
    public static func status(in bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var scanner = JSONScanner(bytes)
        var status: String?
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                if key.matches("status"), try scanner.peekKind() == .string {
                    status = try scanner.readString()
                } else {
                    try scanner.skipValue()
                }
            }
            try scanner.finish()
        } catch {
            return nil
        }
        return status
    }
}
