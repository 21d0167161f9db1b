import EdgeJSON

/// One event of a Responses API stream, as far as the router needs it: its `type` and the fields the neutral
/// events come from. Outside input, read with ``JSONScanner``: an unknown field is skipped, a known one of an
/// unexpected type is read as absent.
struct ResponsesStreamEvent {
    var type = ""
    var response: ResponseObject?
    var item: ResponseObject.Item?
    var outputIndex: Int?
    var delta: String?
    var arguments: String?
    /// An `error` event's own `code` and `message`.
    var code: String?
    var message: String?

    static func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONScanner.Failure) -> ResponsesStreamEvent {
        var scanner = JSONScanner(bytes)
        var event = ResponsesStreamEvent()
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "type": event.type = try ResponsesJSON.stringish(&scanner) ?? ""
            case "response":
                if try scanner.peekKind() == .object {
                    event.response = try ResponseObject.read(&scanner)
                } else {
                    try scanner.skipValue()
                }
            case "item": event.item = try ResponseObject.readItem(&scanner)
            case "output_index": event.outputIndex = try ResponsesJSON.readCount(&scanner)
            case "delta": event.delta = try ResponsesJSON.stringish(&scanner)
            case "arguments": event.arguments = try ResponsesJSON.stringish(&scanner)
            case "code": event.code = try ResponsesJSON.stringish(&scanner)
            case "message": event.message = try ResponsesJSON.stringish(&scanner)
            default: try scanner.skipValue()
            }
        }
        try scanner.finish()
        return event
    }
}
