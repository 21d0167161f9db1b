import GeoIP

// Fuzzes client-address resolution from forwarding headers, which any client can send. The input is
// `X-Forwarded-For` lines, a NUL, `Forwarded` lines, a NUL, and a client-IP header value (lines split at LF).
// Besides never trapping, it checks:
// - an untrusted peer is the client whatever the headers say;
// - resolving twice agrees, and an answer attributed to the peer is the peer;
// - every line that parses as an IP address or a CIDR block prints back as text that parses to the same value.

private let everyone = ClientAddressResolver(
    configuration: .init(trustedProxies: [cidr("0.0.0.0/0"), cidr("::/0")], clientIPHeaderName: "CF-Connecting-IP"))
private let proxies = ClientAddressResolver(
    configuration: .init(
        trustedProxies: [cidr("10.0.0.0/8"), cidr("192.168.0.0/16"), cidr("2001:db8:ffff::/48"), cidr("127.0.0.1/32")]))
private let proxy = IPAddress(10, 0, 0, 1)
private let stranger = IPAddress(198, 51, 100, 66)

private func cidr(_ text: String) -> CIDR {
    guard let block = CIDR(text) else { fatalError("bad CIDR in the fuzzer: \(text)") }
    return block
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForwarding(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    let sections = input.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    func lines(_ index: Int) -> [String] {
        index < sections.count ? sections[index].split(separator: "\n", omittingEmptySubsequences: false).map(String.init) : []
    }
    let xForwardedFor = lines(0)
    let forwarded = lines(1)
    let header = sections.count > 2 ? sections[2] : nil

    let untrusted = proxies.resolve(peer: stranger, xForwardedFor: xForwardedFor, forwarded: forwarded, clientIPHeader: header)
    if untrusted != .init(address: stranger, source: .peer) { fatalError("an untrusted peer was overridden: \(untrusted)") }
    for resolver in [everyone, proxies] {
        let resolution = resolver.resolve(peer: proxy, xForwardedFor: xForwardedFor, forwarded: forwarded, clientIPHeader: header)
        let again = resolver.resolve(peer: proxy, xForwardedFor: xForwardedFor, forwarded: forwarded, clientIPHeader: header)
        if resolution != again { fatalError("two resolutions differ: \(resolution), \(again)") }
        if resolution.source == .peer, resolution.address != proxy { fatalError("the peer changed: \(resolution)") }
    }

    for line in xForwardedFor + forwarded + (header.map { [$0] } ?? []) {
        if let address = IPAddress(line) {
            guard IPAddress(address.description) == address else { fatalError("\(line) prints as \(address)") }
        }
        if let block = CIDR(line) {
            guard CIDR(block.description) == block else { fatalError("\(line) prints as \(block)") }
        }
    }
    return 0
}
