import CCurl

/// One running probe: its easy handle, its body observer and what the callbacks saw.
/// Lives on the engine thread only.
///
/// Ownership: while the easy handle is in the multi handle, `EngineLoop` holds the only
/// strong reference (in its `active` table). libcurl is given an *unretained* pointer to
/// this object as `CURLOPT_WRITEDATA`, `CURLOPT_HEADERDATA` and `CURLOPT_PRIVATE`. That is
/// safe because libcurl calls back only from inside `curl_multi_perform`, on the engine
/// thread, while the handle is in the multi, and the engine always removes the handle
/// from the multi before it drops this object. The object owns its `CurlEasy`, so the
/// handle is cleaned up exactly once, when the object goes.
final class Transfer {
    /// Why a callback stopped the transfer (by returning a short count, which libcurl
    /// reports as `CURLE_WRITE_ERROR`).
    enum CallbackStop {
        /// The first token was seen and the request asked to stop there.
        case firstTokenSeen
        /// The observer reported a stream-level error.
        case streamFailed(String)
    }

    /// Diagnostic prefix kept from non-2xx bodies.
    static let errorBodyPrefixLimit = 512

    let id: ProbeID
    let request: ProbeRequest
    let easy: CurlEasy
    private let clock = ContinuousClock()
    private var continuation: ProbeContinuation?
    private var observer: any ProbeBodyObserver
    /// Taken after the handle was added to the multi, immediately before the
    /// `curl_multi_perform` call in which libcurl starts its own clock for the transfer.
    private(set) var startedAt: ContinuousClock.Instant
    /// When the observer first reported `.firstToken`, relative to `startedAt`.
    private(set) var timeToFirstToken: Duration?
    /// The status of the response whose headers were last completed; 0 until then.
    private(set) var responseStatus = 0
    /// Whether any byte of a response arrived. libcurl may stamp its start-transfer time
    /// even when the server closed without answering, so this is the reliable signal.
    private(set) var responseStarted = false
    /// Set when a callback stopped the transfer.
    private(set) var callbackStop: CallbackStop?
    private(set) var errorBodyPrefix: [UInt8] = []

    init(submission: Submission, easy: CurlEasy) {
        id = submission.id
        request = submission.request
        continuation = submission.continuation
        self.easy = easy
        observer = submission.request.bodyObserver?() ?? FirstBodyByteObserver()
        startedAt = clock.now
    }

    deinit {
        // Every path resumes the task before dropping the transfer; this is the safety net
        // that guarantees an awaiting task can never hang on a lost continuation.
        continuation?.resume(returning: .failure(ProbeError(
            code: .internal, message: "the probe engine dropped the probe without an outcome")))
    }

    /// Resumes the awaiting task. Only the first call has an effect.
    func complete(_ outcome: Result<ProbeResult, ProbeError>) {
        continuation?.resume(returning: outcome)
        continuation = nil
    }

    /// Records the start instant; call right before the `curl_multi_perform` that starts the transfer.
    func markStarted() {
        startedAt = clock.now
    }

    /// Time since `markStarted()`.
    var elapsed: Duration { clock.now - startedAt }

    /// When the first-token timeout expires, or `nil` while it does not apply: after a token
    /// was seen, once a callback stopped the transfer, or for a non-2xx response (which is
    /// reported as an HTTP status result, bounded by the total timeout).
    var firstTokenDeadline: ContinuousClock.Instant? {
        guard timeToFirstToken == nil, callbackStop == nil else { return nil }
        if responseStatus != 0 && !Self.isSuccessStatus(responseStatus) { return nil }
        return startedAt.advanced(by: request.timeouts.firstToken)
    }

    static func isSuccessStatus(_ status: Int) -> Bool {
        (200..<300).contains(status)
    }

    // MARK: Setup

    /// Applies the request to the easy handle and installs the callbacks.
    func configure() throws(ProbeError) {
        let request = self.request
        try easy.set(CURLOPT_URL, string: request.url)
        // Never follow anything but http(s), even if the URL or a future option would.
        try easy.set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        // libcurl must not use signals: this process is multi-threaded. (SIGPIPE, which
        // libcurl then no longer ignores for us, is blocked on the engine thread instead.)
        try easy.set(CURLOPT_NOSIGNAL, 1)
        // Ignore http_proxy/https_proxy/ALL_PROXY: the router's own upstream traffic does
        // not go through them, so a probe that did would measure a different path.
        try easy.set(CURLOPT_PROXY, string: "")
        // Removing a handle mid-resolve would otherwise make libcurl (7.87+) wait for its
        // resolver thread, blocking the engine thread on DNS. Unknown to older libcurl.
        easy.setIfSupported(CURLOPT_QUICK_EXIT, 1)

        try configureMethodAndBody(request)

        var lines = request.headers.map { header in
            // "Name:" would make libcurl *remove* the header; "Name;" sends it empty.
            header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
        }
        // libcurl 7.x adds "Expect: 100-continue" to POSTs over 1 KiB and waits up to a
        // second for the interim response, which would pollute time-to-first-byte.
        if !request.headers.contains(where: { $0.name.lowercased() == "expect" }) {
            lines.append("Expect:")
        }
        try easy.setHeaders(CurlSList.make(lines))

        if !request.reuseConnection {
            try easy.set(CURLOPT_FRESH_CONNECT, 1)
            try easy.set(CURLOPT_FORBID_REUSE, 1)
            // The multi handle shares a DNS cache between transfers; a fresh probe resolves
            // anew, as a new upstream connection of the router would.
            try easy.set(CURLOPT_DNS_CACHE_TIMEOUT, 0)
        }

        try easy.set(CURLOPT_SSL_VERIFYPEER, request.tls.verifyPeer ? 1 : 0)
        try easy.set(CURLOPT_SSL_VERIFYHOST, request.tls.verifyHost ? 2 : 0)
        if let caBundlePath = request.tls.caBundlePath {
            // Exactly this bundle, as the router's live calls trust it: no system directory besides.
            try easy.set(CURLOPT_CAINFO, string: caBundlePath)
            try easy.set(CURLOPT_CAPATH, pointer: nil)
        }

        let version = request.preferHTTP2 ? Int(CURL_HTTP_VERSION_2TLS) : Int(CURL_HTTP_VERSION_1_1)
        if !easy.setIfSupported(CURLOPT_HTTP_VERSION, version) {
            // A libcurl built without nghttp2 rejects HTTP/2; HTTP/1.1 still measures correctly.
            try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        }

        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, request.timeouts.connect.curlMilliseconds)
        try easy.set(CURLOPT_TIMEOUT_MS, request.timeouts.total.curlMilliseconds)

        try easy.setCallbacks(
            context: Unmanaged.passUnretained(self).toOpaque(),
            write: { buffer, size, count, context in
                let length = size * count
                guard length > 0 else { return 0 }
                guard let buffer, let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                // Returning anything but `length` makes libcurl abort with CURLE_WRITE_ERROR.
                return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : 0
            },
            header: { buffer, size, count, context in
                let length = size * count
                guard let buffer, let context else { return length }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length))
                return length
            }
        )
    }

    private func configureMethodAndBody(_ request: ProbeRequest) throws(ProbeError) {
        switch request.method {
        case .get where request.body.isEmpty:
            try easy.set(CURLOPT_HTTPGET, 1)
        case .head:
            try easy.set(CURLOPT_NOBODY, 1)
        case .post:
            try easy.set(CURLOPT_POST, 1)
            try easy.setBody(request.body)
        default:
            try easy.set(CURLOPT_CUSTOMREQUEST, string: request.method.rawValue)
            if !request.body.isEmpty {
                try easy.setBody(request.body)
            }
        }
    }

    // MARK: Callbacks (engine thread, inside curl_multi_perform)

    /// Handles one header line. libcurl passes each response's header block line by line,
    /// ending with an empty line; interim (1xx) responses have blocks of their own.
    private func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        responseStarted = true
        if line.starts(with: "HTTP/".utf8) {
            responseStatus = 0
        } else if line.elementsEqual("\r\n".utf8) || line.elementsEqual("\n".utf8) {
            responseStatus = easy.long(CURLINFO_RESPONSE_CODE)
        }
    }

    /// Handles body bytes. Returns `false` to make libcurl stop the transfer.
    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let now = clock.now
        responseStarted = true
        if responseStatus == 0 {
            responseStatus = easy.long(CURLINFO_RESPONSE_CODE)
        }
        guard Self.isSuccessStatus(responseStatus) else {
            let room = Self.errorBodyPrefixLimit - errorBodyPrefix.count
            if room > 0 { errorBodyPrefix.append(contentsOf: bytes.prefix(room)) }
            return true
        }
        switch observer.consume(bytes) {
        case .continue:
            return true
        case .firstToken:
            guard timeToFirstToken == nil else { return true }
            timeToFirstToken = now - startedAt
            if request.stopAfterFirstToken {
                callbackStop = .firstTokenSeen
                return false
            }
            return true
        case .failed(let message):
            callbackStop = .streamFailed(message)
            return false
        }
    }
}

extension Duration {
    /// This duration in whole milliseconds for libcurl's `long` options, rounded up so a
    /// sub-millisecond limit does not become "no limit" (0), and clamped to `Int.max`.
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 1 }
        let (wholeMilliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return Int.max }
        let fraction = attoseconds / 1_000_000_000_000_000
        let remainder = attoseconds % 1_000_000_000_000_000
        let total = wholeMilliseconds.addingReportingOverflow(fraction + (remainder > 0 ? 1 : 0))
        guard !total.overflow, total.partialValue <= Int64(Int.max) else { return Int.max }
        return Swift.max(1, Int(total.partialValue))
    }
}
