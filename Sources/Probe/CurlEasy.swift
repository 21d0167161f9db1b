import CCurl

/// Owns one libcurl easy handle and everything libcurl keeps pointers into while the
/// handle lives: the `CURLOPT_ERRORBUFFER` storage and the `CURLOPT_HTTPHEADER` list.
///
/// The handle is freed exactly once, by `deinit`. `curl_easy_cleanup` runs first in
/// `deinit`, and only afterwards are the error buffer and the header list released, so
/// libcurl never sees freed memory. The owner must have removed the handle from any
/// multi handle before releasing this object.
///
/// Not thread-safe: libcurl allows a handle to be used by one thread at a time, and the
/// engine only touches it from its own thread.
final class CurlEasy {
    /// The `CURL *` handle.
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: CurlSList?

    private init(handle: UnsafeMutableRawPointer) {
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deinitialize(count: Int(CURL_ERROR_SIZE))
        errorBuffer.deallocate()
        // `headerList` is released after this body returns, i.e. after the cleanup above.
    }

    /// Creates a handle with its error buffer installed.
    /// - Throws: `ProbeError.Code.internal` if libcurl could not create the handle.
    static func make() throws(ProbeError) -> CurlEasy {
        guard let handle = curl_easy_init() else {
            throw ProbeError(code: .internal, message: "libcurl could not create an easy handle")
        }
        let easy = CurlEasy(handle: handle)
        try easy.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(easy.errorBuffer))
        return easy
    }

    // MARK: Options

    /// Sets a `long` option.
    func set(_ option: CURLoption, _ value: Int) throws(ProbeError) {
        try check(ccurl_easy_setopt_long(handle, option, value), option)
    }

    /// Sets a string option; libcurl copies the string.
    func set(_ option: CURLoption, string: String) throws(ProbeError) {
        try check(string.withCString { ccurl_easy_setopt_string(handle, option, $0) }, option)
    }

    /// Sets a pointer option. The caller guarantees the pointee outlives its use by libcurl.
    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(ProbeError) {
        try check(ccurl_easy_setopt_pointer(handle, option, pointer), option)
    }

    /// Sets a `curl_off_t` option.
    func set(_ option: CURLoption, offset: Int64) throws(ProbeError) {
        try check(ccurl_easy_setopt_off_t(handle, option, curl_off_t(offset)), option)
    }

    /// Sets an option that older or differently built libcurls may not know; failures are ignored.
    /// Returns whether libcurl accepted it.
    @discardableResult
    func setIfSupported(_ option: CURLoption, _ value: Int) -> Bool {
        ccurl_easy_setopt_long(handle, option, value) == CURLE_OK
    }

    /// Sets `CURLOPT_HTTPHEADER` and keeps the list alive for as long as this handle.
    func setHeaders(_ list: CurlSList) throws(ProbeError) {
        try check(ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list.pointer), CURLOPT_HTTPHEADER)
        headerList = list
    }

    /// Copies `bytes` into libcurl as the request body (`CURLOPT_COPYPOSTFIELDS`), so the
    /// caller's buffer need not outlive this call.
    func setBody(_ bytes: [UInt8]) throws(ProbeError) {
        try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(bytes.count))
        let code: CURLcode
        if bytes.isEmpty {
            // A NULL body would make libcurl fall back to its read callback, which by
            // default reads the process's stdin; an empty string sends an empty body.
            code = "".withCString { ccurl_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, $0) }
        } else {
            code = bytes.withUnsafeBytes {
                ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
            }
        }
        try check(code, CURLOPT_COPYPOSTFIELDS)
    }

    /// Installs the body (`CURLOPT_WRITEFUNCTION`) and header (`CURLOPT_HEADERFUNCTION`)
    /// callbacks with `context` as their user data, and stores `context` as `CURLOPT_PRIVATE`.
    /// The caller guarantees `context` stays valid while the handle can call back.
    func setCallbacks(
        context: UnsafeMutableRawPointer,
        write: curl_write_callback,
        header: ccurl_header_callback
    ) throws(ProbeError) {
        try check(ccurl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, write), CURLOPT_WRITEFUNCTION)
        try set(CURLOPT_WRITEDATA, pointer: context)
        try check(ccurl_easy_setopt_header_callback(handle, CURLOPT_HEADERFUNCTION, header), CURLOPT_HEADERFUNCTION)
        try set(CURLOPT_HEADERDATA, pointer: context)
        try set(CURLOPT_PRIVATE, pointer: context)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(ProbeError) {
        guard code == CURLE_OK else {
            throw ProbeError(
                code: .internal,
                message: "libcurl rejected option \(option.rawValue): \(Self.describe(code))",
                curlCode: Int(code.rawValue)
            )
        }
    }

    // MARK: Information

    /// A `long` info, or 0 if libcurl does not provide it.
    func long(_ info: CURLINFO) -> Int {
        var value = 0
        return ccurl_easy_getinfo_long(handle, info, &value) == CURLE_OK ? value : 0
    }

    /// A `curl_off_t` info (the `*_TIME_T` timings are in microseconds), or 0 if unavailable.
    func offset(_ info: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        return ccurl_easy_getinfo_off_t(handle, info, &value) == CURLE_OK ? Int64(value) : 0
    }

    /// The `CURLOPT_PRIVATE` pointer.
    var privatePointer: UnsafeMutableRawPointer? {
        var value: UnsafeMutableRawPointer? = nil
        return ccurl_easy_getinfo_pointer(handle, CURLINFO_PRIVATE, &value) == CURLE_OK ? value : nil
    }

    /// The text libcurl wrote into `CURLOPT_ERRORBUFFER` for the last failure, or "" if none.
    var errorDetail: String {
        // libcurl always NUL-terminates within CURL_ERROR_SIZE.
        String(cString: errorBuffer)
    }

    /// libcurl's generic description of `code`.
    static func describe(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "CURLcode \(code.rawValue)" }
        return String(cString: text)
    }
}
