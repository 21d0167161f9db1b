import EdgeRouter

// Fuzzes the YAML configuration loader (an operator's file, possibly generated or templated): whatever the text,
// it loads or it reports issues; it never traps. Loading is deterministic: the same text loads to the same models
// or fails both times. (Not the same message: for duplicate keys Yams names whichever duplicate its hashing sees
// first, which varies between two parses in one process.)

private let environment = ["PROVIDER_KEY": "fuzz-key", "EMPTY": ""]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size), as: UTF8.self)
    let first = load(text)
    let second = load(text)
    if first != second { fatalError("loading twice differs: \(first) vs \(second)") }
    return 0
}

/// The outcome of one load, comparable: the catalog's model names, or that it failed.
private func load(_ text: String) -> String {
    do {
        let catalog = try ConfigurationLoader.parse(yaml: text, file: "fuzz.yaml", environment: environment)
        return "models: " + catalog.models.map(\.name).joined(separator: ",")
    } catch {
        return "error"
    }
}
