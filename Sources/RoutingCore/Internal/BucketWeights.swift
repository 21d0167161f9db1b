/// 96 `Double`s stored inline, so a ``TTFTEstimator`` is one flat value with no heap buffer.
///
/// `InlineArray` would say this more plainly, but on Apple platforms it needs macOS 26 while the router supports
/// macOS 15; a homogeneous tuple has the same layout (96 contiguous `Double`s) and works everywhere.
public struct BucketWeights: Sendable {
    /// The number of buckets.
    public static let count = 96

    private typealias Row = (Double, Double, Double, Double, Double, Double, Double, Double)
    private typealias Storage = (Row, Row, Row, Row, Row, Row, Row, Row, Row, Row, Row, Row)

    private static let zeroRow: Row = (0, 0, 0, 0, 0, 0, 0, 0)
    private var storage: Storage = (
        zeroRow, zeroRow, zeroRow, zeroRow, zeroRow, zeroRow, zeroRow, zeroRow, zeroRow, zeroRow, zeroRow, zeroRow
    )

    public init() {
        // The tuple must be exactly `count` packed doubles for the pointer views below to be valid.
        assert(MemoryLayout<Storage>.size == Self.count * MemoryLayout<Double>.stride)
    }

    /// Reads the weights as a buffer of `count` doubles.
    @inline(__always)
    public func withBuffer<Result>(_ body: (UnsafeBufferPointer<Double>) -> Result) -> Result {
        withUnsafeBytes(of: storage) { raw in
            // A homogeneous tuple is laid out as its elements and may be viewed as them.
            body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: Double.self), count: Self.count))
        }
    }

    /// Changes the weights through a buffer of `count` doubles.
    @inline(__always)
    public mutating func withMutableBuffer<Result>(_ body: (UnsafeMutableBufferPointer<Double>) -> Result) -> Result {
        withUnsafeMutableBytes(of: &storage) { raw in
            body(
                UnsafeMutableBufferPointer(
                    start: raw.baseAddress!.assumingMemoryBound(to: Double.self), count: Self.count))
        }
    }
}
