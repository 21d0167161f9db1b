import Synchronization

/// The status page's logins: random 256-bit tokens, held in the browser's cookie, each valid until it expires or
/// its owner logs out. The table keeps only each token's SHA-256, so that neither a memory dump nor a log line
/// can replay a login, and never the admin key the login was made with.
final class StatusSessions: Sendable {
    private struct Session {
        var expires: ContinuousClock.Instant
        var created: ContinuousClock.Instant
    }

    private let sessions = Mutex<[String: Session]>([:])
    private let lifetime: Duration
    private let limit: Int

    init(lifetime: Duration, limit: Int) {
        self.lifetime = lifetime
        self.limit = max(limit, 1)
    }

    /// A new session's token: 32 bytes from the system's cryptographic generator, as 64 hex digits.
    func create() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            for shift in stride(from: 60, through: 0, by: -4) { bytes.append(digits[Int((word >> UInt64(shift)) & 0xf)]) }
        }
        let token = String(decoding: bytes, as: UTF8.self)
        let now = ContinuousClock.now
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            // Full of live sessions: the oldest login goes first.
            while sessions.count >= limit, let oldest = sessions.min(by: { $0.value.created < $1.value.created }) {
                sessions[oldest.key] = nil
            }
            sessions[KeyRing.sha256Hex(token)] = Session(expires: now + lifetime, created: now)
        }
        return token
    }

    /// Whether `token` is a live session's.
    func isValid(_ token: some StringProtocol) -> Bool {
        let hash = KeyRing.sha256Hex(token)
        let now = ContinuousClock.now
        return sessions.withLock { sessions in
            guard let session = sessions[hash] else { return false }
            guard session.expires > now else {
                sessions[hash] = nil
                return false
            }
            return true
        }
    }

    /// Ends `token`'s session.
    func revoke(_ token: some StringProtocol) {
        let hash = KeyRing.sha256Hex(token)
        sessions.withLock { _ = $0.removeValue(forKey: hash) }
    }

    /// Ends every session: a reload changed the admin keys, and a session opened with a key that may be gone must
    /// not outlive it.
    func revokeAll() {
        sessions.withLock { $0.removeAll() }
    }

        /// Sessions held now, expired ones included until they are next swept.
    var count: Int { sessions.withLock { $0.count } }

    /// How long a login lasts, for the cookie's `Max-Age`.
    var lifetimeSeconds: Int { Int(lifetime / .seconds(1)) }
}
