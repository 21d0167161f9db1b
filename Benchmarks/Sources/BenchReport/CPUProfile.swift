/// Where a proxy's CPU went during one profiled load step: `perf record -F HZ -p PIDS` (no call graphs), printed by
/// `perf script -F ip,sym,dso` and demangled by `swift demangle` (full names, so each Swift symbol keeps its
/// module). Each sample is one line, `IP SYMBOL (DSO)`; it is counted against the function it landed in (self time)
/// and that function's component, so shares add up to 100 % and two proxies can be compared part by part.
struct CPUProfile {
    /// The parts a proxy's CPU time is split into, in the order the report lists them.
    enum Component: String, CaseIterable {
        case kernel = "kernel: sockets, TCP, system calls, scheduling"
        case allocation = "memory allocation (malloc, free, Swift object allocation)"
        case copies = "memory copies (memcpy, memmove, memset)"
        case swiftRuntime = "Swift runtime: reference counting, exclusivity checks, metadata"
        case standardLibrary = "Swift standard library and Foundation (strings, arrays, hashing)"
        case http = "HTTP/1 parsing and encoding (NIO's llhttp and codecs, HTTPTypes)"
        case eventLoop = "event loop, channel pipelines, buffers (NIO)"
        case tls = "TLS (BoringSSL and NIOSSL, or OpenSSL)"
        case framework = "Hummingbird (the server framework)"
        case observability = "logging and metrics"
        case dialects = "EdgeRouter: dialects, SSE and JSON (EdgeWire, EdgeJSON)"
        case router = "EdgeRouter: server path, exchange, upstream pool, routing (EdgeRouter, RoutingCore)"
        case nginx = "nginx's own code"
        case libc = "libc: system-call wrappers and the rest"
        case other = "other or unattributed"
    }

    /// Samples counted (lines that parsed).
    private(set) var samples = 0
    private(set) var byComponent: [Component: Int] = [:]
    /// Samples by function, named as ``function(_:)`` names them, with the function's component.
    private(set) var byFunction: [String: (component: Component, samples: Int)] = [:]

    /// Reads `perf script` text; lines that are not samples (blank, or without a `(DSO)`) are skipped.
    init(perfScript text: String) {
        for line in text.split(separator: "\n") {
            guard let (symbol, dso) = Self.sample(line) else { continue }
            let component = Self.component(symbol: symbol, dso: dso)
            let name = Self.function(symbol)
            samples += 1
            byComponent[component, default: 0] += 1
            byFunction[name, default: (component, 0)].samples += 1
        }
    }

    /// The share of the samples in a component, 0 to 1.
    func share(_ component: Component) -> Double {
        samples == 0 ? 0 : Double(byComponent[component] ?? 0) / Double(samples)
    }

    /// The functions with the most samples, most first (ties by name), with their share.
    func topFunctions(_ count: Int) -> [(name: String, component: Component, share: Double)] {
        guard samples > 0 else { return [] }
        return byFunction.sorted { $0.value.samples != $1.value.samples ? $0.value.samples > $1.value.samples : $0.key < $1.key }
            .prefix(count)
            .map { ($0.key, $0.value.component, Double($0.value.samples) / Double(samples)) }
    }

    // MARK: Reading a sample

    /// `55d1c0a1b2c3 swift_retain (/usr/lib/swift/linux/libswiftCore.so)` → (`swift_retain`, the DSO's path).
    static func sample(_ line: Substring) -> (symbol: Substring, dso: Substring)? {
        let text = line.drop { $0 == " " || $0 == "\t" }
        guard text.last == ")", let open = text.lastIndex(of: "("), open > text.startIndex,
            let space = text.firstIndex(of: " "), space < open
        else { return nil }
        let dso = text[text.index(after: open)..<text.index(before: text.endIndex)]
        var symbol = text[text.index(after: space)..<open]
        while symbol.last == " " { symbol = symbol.dropLast() }
        while symbol.first == " " { symbol = symbol.dropFirst() }
        return (symbol, dso)
    }

    // MARK: Classifying

    /// Swift modules, and C symbol prefixes, by the component they belong to.
    private static let modules: [Substring: Component] = {
        var table: [Substring: Component] = [:]
        let groups: [(Component, [Substring])] = [
            (.http, ["NIOHTTP1", "NIOHTTPTypes", "NIOHTTPTypesHTTP1", "HTTPTypes", "CNIOLLHTTP", "NIOHTTPCompression"]),
            (
                .eventLoop,
                [
                    "NIOCore", "NIOPosix", "NIOEmbedded", "NIOConcurrencyHelpers", "_NIODataStructures", "_NIOBase64",
                    "NIOFoundationCompat", "NIOExtras", "CNIOPosix", "CNIOLinux", "Atomics", "DequeModule",
                    "InternalCollectionsUtilities", "_NIOFileSystem",
                ]
            ),
            (.tls, ["NIOSSL", "CNIOBoringSSL", "CNIOBoringSSLShims", "Crypto", "_CryptoExtras", "CCryptoBoringSSL"]),
            (.framework, ["Hummingbird", "HummingbirdCore", "HummingbirdHTTP2", "HummingbirdRouter", "HummingbirdTLS"]),
            (
                .observability,
                ["Logging", "Metrics", "CoreMetrics", "Prometheus", "Tracing", "Instrumentation", "ServiceLifecycle", "ServiceContextModule"]
            ),
            (.dialects, ["EdgeWire", "EdgeJSON"]),
            (.router, ["EdgeRouter", "RoutingCore", "RequestLog", "GeoIP", "Probe", "ProviderSim", "edge_router"]),
            (.standardLibrary, ["Swift", "Foundation", "FoundationEssentials", "FoundationInternationalization", "_StringProcessing", "Dispatch"]),
        ]
        for (component, names) in groups { for name in names { table[name] = component } }
        return table
    }()

    private static let allocators: Set<Substring> = [
        "malloc", "free", "cfree", "realloc", "calloc", "_int_malloc", "_int_free", "_int_realloc", "malloc_consolidate",
        "__libc_malloc", "__libc_free", "__libc_calloc", "__libc_realloc", "tcache_init", "unlink_chunk", "__GI___libc_malloc",
        "__GI___libc_free", "__malloc_arena_thread_freeres", "sysmalloc", "_int_free_merge_chunk", "_int_free_create_chunk",
        "_int_free_maybe_consolidate", "malloc_usable_size",
        "swift_allocObject", "swift_deallocObject", "swift_slowAlloc", "swift_slowDealloc", "swift_deallocClassInstance",
        "swift_deallocUninitializedObject", "swift_deallocPartialClassInstance", "swift_initStackObject", "swift_allocBox",
        "swift_deallocBox", "swift_task_alloc", "swift_task_dealloc",
    ]

    /// The component a sample belongs to, from its symbol and the file it is in.
    static func component(symbol: Substring, dso: Substring) -> Component {
        if dso.hasPrefix("[kernel") || dso.hasSuffix(".ko") { return .kernel }
        if dso == "[vdso]" { return .libc }
        if allocators.contains(symbol) { return .allocation }
        if symbol.hasPrefix("__mem") || symbol.hasPrefix("mem") || symbol.hasPrefix("__GI_mem") { return .copies }
        if symbol.hasPrefix("swift_") || symbol.hasPrefix("swift::") || symbol.hasPrefix("__swift_") || symbol.hasPrefix("_swift_") {
            return .swiftRuntime
        }
        let file = dso.split(separator: "/").last ?? dso
        if file.hasPrefix("libssl") || file.hasPrefix("libcrypto") { return .tls }
        if symbol.hasPrefix("ngx_") { return .nginx }
        if symbol.hasPrefix("c_nio_llhttp") || symbol.hasPrefix("llhttp") { return .http }
        if symbol.hasPrefix("CNIOBoringSSL") || symbol.hasPrefix("bssl::") || symbol.hasPrefix("CCryptoBoringSSL") { return .tls }
        if symbol.hasPrefix("c_nio_") || symbol.hasPrefix("CNIO") { return .eventLoop }
        if let module = module(of: symbol), let component = modules[module] { return component }
        if file.hasPrefix("libswift") || file.hasPrefix("libFoundation") || file.hasPrefix("lib_FoundationICU") || file.hasPrefix("libdispatch") {
            return file.hasPrefix("libswift_Concurrency") ? .swiftRuntime : .standardLibrary
        }
        if file.hasPrefix("libc.") || file.hasPrefix("libc-") || file.hasPrefix("ld-linux") || file.hasPrefix("libpthread") { return .libc }
        if file == "nginx" { return .nginx }
        return .other
    }

    /// Phrases a demangled Swift name may start with before the function it is about (a closure, a thunk, a
    /// specialization): ``function(_:)`` and ``module(of:)`` look past them.
    private static let wrappers: [Substring] = [
        "protocol witness for ", "partial apply for ", "partial apply forwarder for ", "merged ", "outlined copy of ",
        "outlined consume of ", "outlined destroy of ", "outlined retain of ", "outlined release of ",
        "outlined init with copy of ", "outlined init with take of ", "outlined assign with take of ",
        "outlined assign with copy of ", "dispatch thunk of ", "type metadata accessor for ",
        "type metadata completion function for ", "lazy protocol witness table accessor for type ",
        "key path getter for ", "key path setter for ", "one-time initialization function for ",
        "variable initialization expression of ", "async function pointer to ", "thunk for ", "static ", "@objc ",
        "@nonobjc ", "direct field offset for ",
    ]

    /// The demangled name without what wraps it: `closure #1 in generic specialization <A> of M.f(x) -> ()` → `M.f(x) -> ()`.
    static func peeled(_ symbol: Substring) -> Substring {
        var text = symbol
        var changed = true
        while changed {
            changed = false
            for wrapper in wrappers where text.hasPrefix(wrapper) {
                text = text.dropFirst(wrapper.count)
                changed = true
            }
            // `initializeWithCopy value witness for T`, `destroy value witness for T`.
            if let range = text.range(of: " value witness for "), !text[..<range.lowerBound].contains(" ") {
                text = text[range.upperBound...]
                changed = true
            }
            for opener in ["closure #", "implicit closure #"] where text.hasPrefix(opener) {
                guard let range = text.range(of: " in ") else { break }
                text = text[range.upperBound...]
                changed = true
            }
            for opener in ["generic specialization <", "function signature specialization <", "generic partial specialization <"]
            where text.hasPrefix(opener) {
                // Skip the bracketed arguments (they may hold other modules' types) up to the matching ">", then " of ".
                var depth = 0
                var index = text.index(text.startIndex, offsetBy: opener.count - 1)
                while index < text.endIndex {
                    if text[index] == "<" { depth += 1 } else if text[index] == ">" { depth -= 1 }
                    index = text.index(after: index)
                    if depth == 0 { break }
                }
                let rest = text[index...]
                text = rest.hasPrefix(" of ") ? rest.dropFirst(4) : rest
                changed = true
            }
        }
        return text
    }

    /// `(name in _HEX)` → `name`: how a demangled name spells a private declaration.
    static func withoutDiscriminators(_ text: Substring) -> String {
        var out = ""
        var rest = text
        while let open = rest.firstIndex(of: "(") {
            out += rest[..<open]
            let inner = rest[rest.index(after: open)...]
            if let close = inner.firstIndex(of: ")"), let marker = inner[..<close].range(of: " in _"),
                !inner[..<marker.lowerBound].contains(" "),
                inner[marker.upperBound..<close].allSatisfy({ $0.isHexDigit })
            {
                out += inner[..<marker.lowerBound]
                rest = inner[inner.index(after: close)...]
            } else {
                out.append("(")
                rest = inner
            }
        }
        return out + rest
    }

    /// The Swift module a demangled name belongs to (`(extension in M):` counts as M), or nil for a C symbol.
    static func module(of symbol: Substring) -> Substring? {
        let text = peeled(symbol)
        if text.hasPrefix("(extension in "), let colon = text.firstIndex(of: ":") {
            let name = text[text.index(text.startIndex, offsetBy: 14)..<colon]
            return name.hasSuffix(")") ? name.dropLast() : name
        }
        guard let dot = text.firstIndex(of: "."), !text[..<dot].isEmpty,
            text[..<dot].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
        else { return nil }
        return text[..<dot]
    }

    /// A function's name for the report: the peeled name up to its parameter list (`EdgeWire.JSONScanner.scanString`),
    /// a private name's file discriminator dropped (`M.T.(scan in _1967C3AF…)(…)` → `M.T.scan`).
    static func function(_ symbol: Substring) -> String {
        // A value witness (copying, destroying a value of a type) is named for its type, and says so.
        let suffix = symbol.contains(" value witness for ") ? " (value witness)" : ""
        var text = Substring(withoutDiscriminators(peeled(symbol)))
        if text.hasPrefix("(extension in "), let colon = text.firstIndex(of: ":") { text = text[text.index(after: colon)...] }
        // Up to the parameter list or the first space outside generic arguments (`A<B, C>.f(x)` → `A<B, C>.f`).
        var depth = 0
        var end = text.endIndex
        for index in text.indices {
            switch text[index] {
            case "<": depth += 1
            case ">": depth = max(0, depth - 1)
            case "(" where depth == 0 && index > text.startIndex, " " where depth == 0: end = index
            default: break
            }
            if end != text.endIndex { break }
        }
        return String(text[..<end]) + suffix
    }
}
