import Foundation
import Testing

@testable import BenchReport

/// How perf's samples are read and split into parts and functions (``CPUProfile``), and the report's "Where the
/// CPU goes" section built from them.
@Suite(.timeLimit(.minutes(1)))
struct CPUProfileTests {
    /// One sample per line, as `perf script -F ip,sym,dso | swift demangle` prints them.
    static let routerSamples = """
             ffffffff8f2a1b2c _raw_spin_unlock_irqrestore ([kernel.kallsyms])
             ffffffff8f2a1b2c tcp_sendmsg_locked ([kernel.kallsyms])
             7f00a1b2c3d4 swift_retain (/opt/swift/usr/lib/swift/linux/libswiftCore.so)
             7f00a1b2c3d4 swift::RefCounts<swift::RefCountBitsT<(swift::RefCountInlinedness)1> >::doDecrementSlow<(swift::PerformDeinit)1> (/opt/swift/usr/lib/swift/linux/libswiftCore.so)
             7f00a1b2c3d4 malloc (/usr/lib/x86_64-linux-gnu/libc.so.6)
             7f00a1b2c3d4 __memmove_avx512_unaligned_erms (/usr/lib/x86_64-linux-gnu/libc.so.6)
             560a6e718ba9 EdgeJSON.JSONScanner.scanString() throws(EdgeJSON.JSONScanner.Failure) -> EdgeJSON.JSONScanner.StringToken (/tmp/edge-router)
             560a6e718ba9 EdgeJSON.JSONScanner.scanString() throws(EdgeJSON.JSONScanner.Failure) -> EdgeJSON.JSONScanner.StringToken (/tmp/edge-router)
             560a6e718ba9 EdgeWire.SSEParser.(scan in _1967C3AF3E198DEDFE1B4E96637E7051)(_: Swift.UnsafeRawBufferPointer, onEvent: (EdgeWire.SSEEvent) -> ()) -> () (/tmp/edge-router)
             560a6e81323d merged generic specialization <NIOHTTP1.HTTPPart<NIOHTTP1.HTTPRequestHead, NIOCore.ByteBuffer>> of NIOCore.NIOAny.forceAsOther<A>(type: A.Type) -> A (/tmp/edge-router)
             560a6ed83441 function signature specialization <Arg[3] = Dead> of NIOHTTP1.NIOHTTPRequestHeadersValidator.write(context: NIOCore.ChannelHandlerContext, data: NIOCore.NIOAny, promise: NIOCore.EventLoopPromise<()>?) -> () (/tmp/edge-router)
             560a6ed83441 c_nio_llhttp__internal__run (/tmp/edge-router)
             560a6ed83441 protocol witness for NIOCore._ChannelInboundHandler.channelRead(context: NIOCore.ChannelHandlerContext, data: NIOCore.NIOAny) -> () in conformance EdgeRouter.ChatCompletionsHandler : NIOCore._ChannelInboundHandler in EdgeRouter (/tmp/edge-router)
             560a6ed83441 closure #1 in closure #2 in EdgeRouter.ChatResponder.begin() -> () (/tmp/edge-router)
             560a6ed83441 initializeWithCopy value witness for NIOPosix.ScheduledTask (/tmp/edge-router)
             560a6ed83441 (extension in Swift):Swift.Collection.firstIndex(of: A.Element) -> A.Index? (/tmp/edge-router)
             560a6ed83441 [unknown] (/tmp/edge-router)
        not a sample line
        """

    static let nginxSamples = """
             ffffffff8f2a1b2c tcp_sendmsg_locked ([kernel.kallsyms])
             ffffffff8f2a1b2c tcp_sendmsg_locked ([kernel.kallsyms])
             55d0c0 ngx_http_parse_request_line (/usr/sbin/nginx)
             7f00a1b2c3d4 __GI___writev (/usr/lib/x86_64-linux-gnu/libc.so.6)
        """

    @Test func eachSampleCountsAgainstThePartOfTheFunctionItLandedIn() {
        let profile = CPUProfile(perfScript: Self.routerSamples)
        #expect(profile.samples == 17)
        #expect(profile.byComponent[.kernel] == 2)
        #expect(profile.byComponent[.swiftRuntime] == 2)
        #expect(profile.byComponent[.allocation] == 1)
        #expect(profile.byComponent[.copies] == 1)
        // JSONScanner is EdgeJSON's; SSEParser EdgeWire's: both the dialects part.
        #expect(profile.byComponent[.dialects] == 3)
        // NIOCore's: a specialization however its generic arguments are spelled, the witness of its channel handler
        // requirement (whoever conforms), a value witness of one of its types. The validator and llhttp are HTTP.
        #expect(profile.byComponent[.eventLoop] == 3)
        #expect(profile.byComponent[.http] == 2)
        // A closure belongs to the function it is in.
        #expect(profile.byComponent[.router] == 1)
        #expect(profile.byComponent[.standardLibrary] == 1)
        #expect(profile.byComponent[.other] == 1)
        #expect(abs(profile.share(.kernel) - 2.0 / 17) < 1e-12)
    }

    @Test func theWitnessOfAProtocolRequirementCountsForTheModuleThatDeclaresTheRequirement() {
        let witness: Substring =
            "protocol witness for NIOCore._ChannelInboundHandler.channelRead(context: NIOCore.ChannelHandlerContext, data: NIOCore.NIOAny) -> () in conformance EdgeRouter.ChatCompletionsHandler"
        #expect(CPUProfile.module(of: witness) == "NIOCore")
        #expect(CPUProfile.module(of: "closure #1 in closure #2 in EdgeRouter.ChatResponder.begin() -> ()") == "EdgeRouter")
        #expect(CPUProfile.module(of: "(extension in NIOCore):NIOCore.ByteBuffer.readInteger<A>() -> A?") == "NIOCore")
        #expect(CPUProfile.module(of: "c_nio_llhttp__internal__run") == nil)
    }

    @Test func functionsAreNamedWithoutParametersWrappersOrFileDiscriminators() {
        #expect(
            CPUProfile.function(
                "EdgeWire.SSEParser.(scan in _1967C3AF3E198DEDFE1B4E96637E7051)(_: Swift.UnsafeRawBufferPointer) -> ()")
                == "EdgeWire.SSEParser.scan")
        #expect(
            CPUProfile.function("function signature specialization <Arg[3] = Dead> of NIOHTTP1.NIOHTTPRequestHeadersValidator.write(context: X) -> ()")
                == "NIOHTTP1.NIOHTTPRequestHeadersValidator.write")
        #expect(
            CPUProfile.function("swift::RefCounts<swift::RefCountBitsT<(swift::RefCountInlinedness)1> >::doDecrementSlow<(swift::PerformDeinit)1>")
                == "swift::RefCounts<swift::RefCountBitsT<(swift::RefCountInlinedness)1> >::doDecrementSlow<(swift::PerformDeinit)1>")
        #expect(CPUProfile.function("initializeWithCopy value witness for NIOPosix.ScheduledTask") == "NIOPosix.ScheduledTask (value witness)")
    }

    @Test func theHeaviestFunctionsComeFirstWithTheirShare() {
        let top = CPUProfile(perfScript: Self.routerSamples).topFunctions(2)
        // scanString has two samples; every other function one, and ties go by name.
        #expect(top.map(\.name) == ["EdgeJSON.JSONScanner.scanString", "EdgeRouter.ChatResponder.begin"])
        #expect(top.first?.component == .dialects)
        #expect(abs((top.first?.share ?? 0) - 2.0 / 17) < 1e-12)
    }

    @Test func nginxsOwnCodeAndLibcAreTheirOwnParts() {
        let profile = CPUProfile(perfScript: Self.nginxSamples)
        #expect(profile.samples == 4)
        #expect(profile.byComponent == [.kernel: 2, .nginx: 1, .libc: 1])
    }

    @Test func theReportSplitsBothProxiesCPUPerRequestPartByPartAndTheTargetsPointThere() throws {
        let folder = try ResultsFolder(profile: ["rate": 2000, "hz": 999, "seconds": 5, "skipped": NSNull()])
        try folder.rate("router", 1000, p99: 3, cpuSeconds: 1.2)
        try folder.rate("nginx", 1000, p99: 1, cpuSeconds: 0.4)
        // 1.7 s over 8,000 requests: 212.5 µs each; nginx 0.4 s: 50 µs.
        try folder.profiled("router", samples: Self.routerSamples, cpuSeconds: 1.7)
        try folder.profiled("nginx", samples: Self.nginxSamples, cpuSeconds: 0.4)
        let results = try ResultSet(directory: folder.url)
        let report = MarkdownReport(results: results, chartLink: nil).render()
        #expect(report.contains("## Where the CPU goes"))
        #expect(report.contains("EdgeRouter: 17 samples, 212 µs of CPU per request"))
        #expect(report.contains("nginx proxy_pass: 4 samples, 50.0 µs per request. EdgeRouter ÷ nginx: 4.25×."))
        // The kernel: 2 of 17 samples (11.8 %, 25.0 µs) against 2 of 4 (50 %, 25.0 µs): no difference.
        #expect(report.contains("| kernel: sockets, TCP, system calls, scheduling | 11.8 % | 25.0 | 50.0 % | 25.0 | +0.0 |"))
        #expect(report.contains("| **all** | 100 % | 212 | 100 % | 50.0 | +162 |"))
        #expect(report.contains("Of the 162 µs per request EdgeRouter spends beyond nginx, the largest parts: "))
        #expect(report.contains("| `EdgeJSON.JSONScanner.scanString` | EdgeRouter: dialects, SSE and JSON (EdgeWire, EdgeJSON) | 11.8 % | 25.0 |"))
        let cpu = DataPlaneTargets.plain(results).cpuPerRequest()
        #expect(cpu.verdict.hasPrefix("missed by 1.20×. Why: \"Where the CPU goes\" below"))
    }

    @Test func aRunWithoutAProfileSaysWhy() throws {
        let folder = try ResultsFolder(profile: ["rate": 2000, "hz": 999, "seconds": 5, "skipped": "perf is not installed"])
        try folder.rate("router", 1000, p99: 3, cpuSeconds: 1.2)
        let report = MarkdownReport(results: try ResultSet(directory: folder.url), chartLink: nil).render()
        #expect(report.contains("## Where the CPU goes\n\nNot profiled in this run: perf is not installed."))
    }
}
