import Testing

@testable import EdgeLoadCore

/// Frames split anywhere across reads must be classified exactly once, in order.
struct SSEDataScannerTests {
    static let stream =
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
        + ": keep-alive comment\n\n"
        + "data: {\"choices\":[{\"delta\":{\"content\":\"The\"}}]}\n\n"
        + "data:{\"choices\":[{\"delta\":{\"content\":\" quick\"}}]}\r\n\r\n"
        + "event: message\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        + "data: [DONE]\n\n"

    static let expected: [SSEDataKind] = [.other, .content, .content, .other, .done]

    private func scan(_ pieces: [ArraySlice<UInt8>]) -> [SSEDataKind] {
        var scanner = SSEDataScanner()
        var kinds: [SSEDataKind] = []
        for piece in pieces {
            Array(piece).withUnsafeBytes { scanner.scan($0) { kinds.append($0) } }
        }
        return kinds
    }

    @Test func wholeStreamInOneRead() {
        #expect(scan([Array(Self.stream.utf8)[...]]) == Self.expected)
    }

    @Test func everySplitPointGivesTheSameFrames() {
        let bytes = Array(Self.stream.utf8)
        for split in 1..<bytes.count {
            #expect(scan([bytes[..<split], bytes[split...]]) == Self.expected, "split at \(split)")
        }
    }

    @Test func byteByByte() {
        let bytes = Array(Self.stream.utf8)
        #expect(scan(bytes.indices.map { bytes[$0...$0] }) == Self.expected)
    }

    @Test func anOverlongLineIsSkippedAndScanningGoesOn() {
        var scanner = SSEDataScanner()
        var kinds: [SSEDataKind] = []
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: SSEDataScanner.maximumLineBytes + 10)
        let head = Array("data: ".utf8) + long[..<(long.count / 2)]
        let tail = Array(long[(long.count / 2)...]) + Array("\ndata: [DONE]\n".utf8)
        head.withUnsafeBytes { scanner.scan($0) { kinds.append($0) } }
        tail.withUnsafeBytes { scanner.scan($0) { kinds.append($0) } }
        #expect(kinds == [.done])
    }
}
