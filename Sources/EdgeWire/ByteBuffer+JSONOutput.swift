import EdgeJSON
import NIOCore

/// The wire layer writes its JSON (answers, upstream requests, error bodies) straight into NIO buffers.
extension ByteBuffer: JSONOutput {
    /// Appends raw bytes.
    @inlinable
    public mutating func writeJSONBytes(_ bytes: UnsafeRawBufferPointer) {
        writeBytes(bytes)
    }
}
