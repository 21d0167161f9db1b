import CCurl

/// libcurl's process-wide initialisation.
///
/// `curl_global_init` must run once before any other libcurl call and, before libcurl
/// 7.84, was not thread-safe itself. Swift initialises a `static let` lazily under
/// `swift_once`, so the first access from any thread runs the initialiser exactly once
/// and concurrent first accesses wait for it.
///
/// `curl_global_cleanup` is deliberately never called: the engine may be created and
/// shut down several times in one process, other code in the process (for example
/// FoundationNetworking) may use libcurl too, and libcurl's global state is freed by
/// process exit anyway.
enum CurlGlobal {
    private static let initResult: CURLcode = ccurl_global_init_default()

    /// Initialises libcurl if this process has not done so yet.
    /// - Throws: `ProbeError.Code.internal` if `curl_global_init` failed.
    static func ensureInitialized() throws(ProbeError) {
        let code = initResult
        guard code == CURLE_OK else {
            throw ProbeError(
                code: .internal,
                message: "libcurl global initialisation failed: \(CurlEasy.describe(code))",
                curlCode: Int(code.rawValue)
            )
        }
    }
}
