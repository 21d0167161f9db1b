#if canImport(Glibc)
import Glibc
#endif

/// A loopback listener whose accept queue is full and never drained, so a new
/// connection attempt's SYN is dropped and its TCP connect hangs (Linux behaviour:
/// SYNs to a listener with a full accept queue are dropped, not refused).
final class BacklogFullListener {
    let port: Int
    private var descriptors: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TestFailure("socket failed") }
        descriptors.append(listener)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // Backlog 0: the accept queue is full once it holds a single connection.
        guard bound == 0, listen(listener, 0) == 0 else { throw TestFailure("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))

        // A blocking connect completes the handshake, filling the queue.
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard filler >= 0 else { throw TestFailure("socket failed") }
        descriptors.append(filler)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("filler connect failed") }
    }

    deinit {
        for descriptor in descriptors { close(descriptor) }
    }
}
