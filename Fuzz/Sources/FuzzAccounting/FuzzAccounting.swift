import EdgeRouter
import Foundation
import RoutingCore

// Fuzzes what clients and admins send the accounting: the `x-edge-metadata` header, the body's user fields (OpenAI's
// `user` and `metadata`, Anthropic's `metadata.user_id`), and the spend queries' `group_by` and time bounds. None
// may trap; a header that is accepted holds at most 5 fields, each a valid JSON value; the merged metadata is
// always one valid JSON object.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAccounting(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    let text = String(decoding: bytes, as: UTF8.self)
    var metadata = RequestMetadata(defaults: [.init(name: "team", json: #""search""#)])
    if let fields = try? RequestMetadata.parse(header: text) {
        if fields.count > 5 { fatalError("accepted \(fields.count) fields") }
        for field in fields where (try? JSONSerialization.jsonObject(with: Data(field.json.utf8), options: .fragmentsAllowed)) == nil {
            fatalError("accepted a value that is not JSON: \(field.json)")
        }
        metadata.merge(fields)
    }
    for dialect in [Dialect.openai, .anthropic] { metadata.merge(body: bytes, dialect: dialect) }
    guard (try? JSONSerialization.jsonObject(with: Data(metadata.json.utf8))) is [String: Any] else {
        fatalError("the merged metadata is not a JSON object: \(metadata.json)")
    }
    _ = try? SpendReport.spendQuery(groupBy: text, from: text, to: nil, key: nil, nowMs: 1_700_000_000_000)
    _ = try? SpendReport.requestQuery([("limit", text), ("metadata.\(text)", text), ("from", text)], nowMs: 1_700_000_000_000)
    return 0
}
