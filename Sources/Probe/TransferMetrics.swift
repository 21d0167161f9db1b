import CCurl

/// libcurl's measurements of one transfer, read once it has ended. Times are in
/// microseconds since libcurl started the transfer; 0 means "phase not reached".
struct TransferMetrics {
    var status: Int
    var nameLookup: Int64
    var connect: Int64
    var appConnect: Int64
    var preTransfer: Int64
    var startTransfer: Int64
    var total: Int64
    /// `CURLINFO_NUM_CONNECTS`: connections libcurl had to open; 0 when one was reused.
    var newConnections: Int
    var httpVersion: Int
    var bytesReceived: Int64

    init(_ easy: CurlEasy) {
        status = easy.long(CURLINFO_RESPONSE_CODE)
        nameLookup = easy.offset(CURLINFO_NAMELOOKUP_TIME_T)
        connect = easy.offset(CURLINFO_CONNECT_TIME_T)
        appConnect = easy.offset(CURLINFO_APPCONNECT_TIME_T)
        preTransfer = easy.offset(CURLINFO_PRETRANSFER_TIME_T)
        startTransfer = easy.offset(CURLINFO_STARTTRANSFER_TIME_T)
        total = easy.offset(CURLINFO_TOTAL_TIME_T)
        newConnections = easy.long(CURLINFO_NUM_CONNECTS)
        httpVersion = easy.long(CURLINFO_HTTP_VERSION)
        bytesReceived = easy.offset(CURLINFO_SIZE_DOWNLOAD_T)
    }

    /// Whether the transfer ran over a connection that was already open: no connection
    /// was opened, yet the request got as far as being sent. (A transfer that failed to
    /// connect opened no connection either; and libcurl reports a connect time of 0 for
    /// a reused connection, so that cannot be the signal.)
    var connectionReused: Bool {
        newConnections == 0 && preTransfer > 0
    }

    /// The phase the transfer was in when it ended.
    ///
    /// libcurl 7.87+ publishes the connect and appconnect times only once the whole
    /// connection (TCP and TLS) is up, so while connecting both read 0. What still tells
    /// the TCP and TLS phases apart is `CURLINFO_NUM_CONNECTS`, which counts the TCP
    /// connection as soon as it is established.
    func phase(isHTTPS: Bool, responseStarted: Bool, tokenSeen: Bool) -> ProbePhase {
        if !connectionReused {
            if nameLookup == 0 { return .dns }
            if connect == 0 { return isHTTPS && newConnections > 0 ? .tls : .connect }
            if isHTTPS && appConnect == 0 { return .tls }
        }
        if startTransfer == 0 || !responseStarted { return .firstByte }
        return tokenSeen ? .body : .firstToken
    }

    var negotiatedVersion: ProbeHTTPVersion {
        switch httpVersion {
        case Int(CURL_HTTP_VERSION_1_0): .http1_0
        case Int(CURL_HTTP_VERSION_1_1): .http1_1
        case Int(CURL_HTTP_VERSION_2_0): .http2
        case Int(CURL_HTTP_VERSION_3): .http3
        default: .unknown
        }
    }
}

extension Duration {
    /// A libcurl microsecond count as a `Duration`; negative values (never expected) become zero.
    static func curlMicroseconds(_ value: Int64) -> Duration {
        .microseconds(Swift.max(0, value))
    }
}
