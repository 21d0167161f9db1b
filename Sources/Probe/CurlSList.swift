import CCurl

/// Owns a libcurl string list (`struct curl_slist`), used for request headers.
///
/// libcurl does not copy a list passed to `CURLOPT_HTTPHEADER`: it reads it whenever it
/// sends a request. The list is therefore kept alive by the `CurlEasy` that uses it
/// and freed, exactly once, by this object's `deinit`, after that handle is cleaned up.
final class CurlSList {
    /// The head of the list; `nil` for an empty list.
    let pointer: UnsafeMutablePointer<curl_slist>?

    private init(owning pointer: UnsafeMutablePointer<curl_slist>?) {
        self.pointer = pointer
    }

    deinit {
        // curl_slist_free_all accepts NULL.
        curl_slist_free_all(pointer)
    }

    /// Builds a list holding a copy of each line (libcurl copies the strings it appends).
    /// - Throws: `ProbeError.Code.internal` if libcurl could not allocate an entry.
    static func make(_ lines: [String]) throws(ProbeError) -> CurlSList {
        var head: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            // On failure curl_slist_append returns NULL and leaves the existing list intact.
            guard let next = curl_slist_append(head, line) else {
                curl_slist_free_all(head)
                throw ProbeError(code: .internal, message: "libcurl could not allocate a header list entry")
            }
            head = next
        }
        return CurlSList(owning: head)
    }
}
