import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends one `POST /_sim/config` to a simulator and waits for its 200: how a schedule changes a provider.
enum SimConfigClient {
    /// How long a simulator may take to accept a change before the run fails.
    static let timeout: Duration = .seconds(5)

    static func post(_ json: String, to url: TargetURL, on group: any EventLoopGroup) async throws(LoadError) {
        let status: Int
        do {
            status = try await withThrowingTaskGroup(of: Int?.self) { tasks in
                tasks.addTask {
                    // A connection that fails before its answer (seen once after thousands of streams had just
                    // closed: "I/O on closed channel") is tried once more on a new one; a status is never retried.
                    do {
                        return try await exchange(json, url, group)
                    } catch let error as CancellationError {
                        throw error
                    } catch {
                        return try await exchange(json, url, group)
                    }
                }
                tasks.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { tasks.cancelAll() }
                guard let first = try await tasks.next(), let status = first else {
                    throw LoadError("no answer within \(timeout)")
                }
                return status
            }
        } catch {
            throw LoadError("the simulator at \(url) did not take its configuration \(json): \(error)")
        }
        guard status == 200 else {
            throw LoadError("the simulator at \(url) refused its configuration \(json) with status \(status)")
        }
    }

    /// One request on a fresh connection; the status of the answer.
    private static func exchange(_ json: String, _ url: TargetURL, _ group: any EventLoopGroup) async throws -> Int {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .connect(host: url.connectHost, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let body = ByteBuffer(string: json)
            var headers = HTTPHeaders()
            headers.add(name: "host", value: "\(url.host):\(url.port)")
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.readableBytes))
            headers.add(name: "connection", value: "close")
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: url.path, headers: headers)))
            try await outbound.write(.body(.byteBuffer(body)))
            try await outbound.write(.end(nil))
            var status = 0
            for try await part in inbound {
                switch part {
                case .head(let head): status = Int(head.status.code)
                case .body: break
                case .end: return status
                }
            }
            throw LoadError("the connection closed before the answer ended")
        }
    }
}
