import EdgeRouter
import Foundation
import ServiceLifecycle

/// Gives the heap memory a burst of requests freed back to the system once the router is idle.
///
/// glibc keeps freed memory in its arenas for reuse: after load an idle router held more than twice its starting
/// RSS. Every `interval`, if requests ran since the last look and none is in flight now, `malloc_trim(0)` returns
/// the free pages. Under steady traffic it never runs (there is always a request in flight, and the memory is
/// about to be reused anyway).
struct IdleMemoryTrimmer: Service {
    let metrics: RouterMetrics
    var interval: Duration = .seconds(5)

    func run() async throws {
        guard let trim = Self.mallocTrim else {
            // Nothing to do on this platform; a service that returned early would stop the whole group.
            try? await gracefulShutdown()
            return
        }
        var seen = metrics.requestsStarted
        var trimmed = true
        // Ends with the service group: graceful shutdown cancels the sleep.
        while (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: interval) })) != nil {
            let started = metrics.requestsStarted
            if started != seen { trimmed = false }
            seen = started
            if !trimmed, metrics.requestsInFlight == 0 {
                _ = trim(0)
                trimmed = true
            }
        }
    }

    /// glibc's `malloc_trim`, which Swift's Glibc module does not export; nil elsewhere.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()
}
