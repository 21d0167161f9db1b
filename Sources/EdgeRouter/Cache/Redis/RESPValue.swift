import NIOCore

/// One RESP2 reply of a Redis server.
public enum RESPValue: Sendable, Equatable {
    /// `+OK`
    case simpleString(String)
    /// `-ERR …`: the server refused the command.
    case error(String)
    /// `:42`
    case integer(Int)
    /// `$N` then N bytes; nil for `$-1` (GET of a missing key).
    case bulkString([UInt8]?)
    /// `*N` then N values; nil for `*-1`.
    case array([RESPValue]?)
}

/// Writes commands as RESP2 arrays of bulk strings, the form every Redis command takes.
enum RESPCommand {
    static func write(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        buffer.writeString(String(arguments.count))
        buffer.writeStaticString("\r\n")
        for argument in arguments {
            buffer.writeStaticString("$")
            buffer.writeString(String(argument.count))
            buffer.writeStaticString("\r\n")
            buffer.writeBytes(argument)
            buffer.writeStaticString("\r\n")
        }
    }
}
