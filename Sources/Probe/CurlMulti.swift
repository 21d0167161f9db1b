import CCurl

/// Owns the libcurl multi handle that drives every transfer of one engine.
///
/// Used only on the engine thread, except through `MultiWakeup`. Freed exactly once by
/// `deinit`; the engine removes every easy handle before releasing it, as libcurl requires.
final class CurlMulti {
    /// The `CURLM *` handle.
    let handle: UnsafeMutableRawPointer

    private init(handle: UnsafeMutableRawPointer) {
        self.handle = handle
    }

    deinit {
        // Also closes the connections kept in the multi's connection cache.
        curl_multi_cleanup(handle)
    }

    /// Creates a multi handle.
    /// - Parameter maxCachedConnections: `CURLMOPT_MAXCONNECTS`, or `nil` for libcurl's default.
    /// - Throws: `ProbeError.Code.internal` if libcurl could not create or configure it.
    static func make(maxCachedConnections: Int?) throws(ProbeError) -> CurlMulti {
        guard let handle = curl_multi_init() else {
            throw ProbeError(code: .internal, message: "libcurl could not create a multi handle")
        }
        let multi = CurlMulti(handle: handle)
        if let maxCachedConnections {
            let code = ccurl_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, maxCachedConnections)
            guard code == CURLM_OK else {
                throw ProbeError(code: .internal, message: "libcurl rejected CURLMOPT_MAXCONNECTS: \(describe(code))")
            }
        }
        return multi
    }

    /// A handle for waking this multi's `poll` from other threads.
    var wakeup: MultiWakeup { MultiWakeup(handle: handle) }

    /// Adds a transfer; libcurl starts it on the next `perform`.
    func add(_ easy: CurlEasy) -> CURLMcode {
        curl_multi_add_handle(handle, easy.handle)
    }

    /// Removes a transfer, finished or not. No callback for it runs afterwards.
    func remove(_ easy: CurlEasy) {
        // Only fails for handles that are not in this multi, which the engine never passes.
        _ = curl_multi_remove_handle(handle, easy.handle)
    }

    /// Drives all transfers as far as they can go without blocking; runs the callbacks.
    func perform() -> CURLMcode {
        var running: Int32 = 0
        return curl_multi_perform(handle, &running)
    }

    /// Waits until a transfer's socket is ready, libcurl's own timer fires, `timeoutMilliseconds`
    /// pass, or another thread calls `curl_multi_wakeup`, whichever comes first.
    func poll(timeoutMilliseconds: Int32) -> CURLMcode {
        curl_multi_poll(handle, nil, 0, timeoutMilliseconds, nil)
    }

    /// Returns the next finished transfer (easy handle and its result), or `nil` if none.
    /// The values are copied out because libcurl invalidates the message on `remove`.
    func nextCompletion() -> (easy: UnsafeMutableRawPointer, result: CURLcode)? {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(handle, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            return (easy, ccurl_multi_msg_result(message))
        }
        return nil
    }

    /// libcurl's description of a multi-interface error.
    static func describe(_ code: CURLMcode) -> String {
        guard let text = curl_multi_strerror(code) else { return "CURLMcode \(code.rawValue)" }
        return String(cString: text)
    }
}

/// The one operation other threads may perform on the engine's multi handle:
/// `curl_multi_wakeup`, which libcurl documents as callable from any thread.
///
/// `@unchecked Sendable` is safe because of how it is used, not because of what it is:
/// the raw pointer is only dereferenced (by `curl_multi_wakeup`) inside `Mailbox`'s lock
/// while the mailbox is open, and the engine thread closes the mailbox, under that same
/// lock, before it releases the `CurlMulti` and so calls `curl_multi_cleanup`. No wakeup can
/// therefore reach a freed multi handle.
struct MultiWakeup: @unchecked Sendable {
    fileprivate let handle: UnsafeMutableRawPointer

    /// Interrupts the engine thread's `curl_multi_poll`, or makes its next one return at once.
    func wake() {
        // Can only fail for a bad handle; a full wakeup pipe means a wakeup is already pending.
        _ = curl_multi_wakeup(handle)
    }
}
