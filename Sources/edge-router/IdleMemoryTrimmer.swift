import EdgeRouter
import Foundation
import ServiceLifecycle

/// Gives the heap memory a burst of requests freed back to the system once the router is idle.
///
/// glibc keeps freed memory in its arenas for reuse: after load an idle router held more than twice its starting
/// RSS. Every `interval` it looks, and ``IdleTrimSchedule`` says when `malloc_trim(0)` returns the free pages: once
/// requests ran and none is in flight, and again once the upstream pool has closed the connections they left idle.
/// Under steady traffic it rarely runs (there is nearly always a request in flight, and the memory is about to be
/// reused anyway).
struct IdleMemoryTrimmer: Service {
    let metrics: RouterMetrics
    var interval: Duration = .seconds(5)
    /// The upstream pool closes a connection idle for 60 s (`UpstreamPool.defaultIdleTimeout`); a look after that.
    var settle: Duration = .seconds(65)

    func run() async throws {
        guard let trim = Self.mallocTrim else {
            // Nothing to do on this platform; a service that returned early would stop the whole group.
            try? await gracefulShutdown()
            return
        }
        var schedule = IdleTrimSchedule(settle: settle, started: metrics.requestsStarted)
        // Ends with the service group: graceful shutdown cancels the sleep.
        while (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: interval) })) != nil {
            if schedule.look(started: metrics.requestsStarted, inFlight: metrics.requestsInFlight, now: .now) {
                _ = trim(0)
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
