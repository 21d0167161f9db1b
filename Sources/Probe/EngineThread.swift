#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// A dedicated OS thread that runs one closure, and tells async waiters when it is done.
///
/// The engine uses it so libcurl's blocking `curl_multi_poll` never occupies a thread of
/// Swift's cooperative pool. The thread is detached: nothing ever joins it, because a join
/// blocks the joining thread, and the callers that wait for the engine to stop are tasks
/// (often on an event loop). Instead the thread resumes their continuations as its last act,
/// once its closure has returned and been released.
final class EngineThread: Sendable {
    private struct State {
        /// The closure has returned and been released.
        var exited = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    private init() {}

    /// Starts a detached thread named `name` (truncated to 15 bytes, the Linux limit) running
    /// `body`, and returns once the thread is running and named.
    /// - Throws: `ProbeError.Code.internal` if the thread could not be created.
    static func spawn(name: String, _ body: sending @escaping () -> Void) throws(ProbeError) -> EngineThread {
        let thread = EngineThread()
        let started = DispatchSemaphore(value: 0)
        let start = Unmanaged.passRetained(ThreadStart(name: name, started: started, thread: thread, body: body)).toOpaque()
        #if canImport(Darwin)
        var created: pthread_t? = nil
        let status = pthread_create(&created, nil, { EngineThread.run($0) }, start)
        #else
        var created = pthread_t()
        let status = pthread_create(&created, nil, { EngineThread.run($0) }, start)
        #endif
        #if canImport(Darwin)
        guard status == 0, let handle = created else {
            Unmanaged<ThreadStart>.fromOpaque(start).release()
            throw ProbeError(code: .internal, message: "could not start the probe engine thread (error \(status))")
        }
        #else
        guard status == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(start).release()
            throw ProbeError(code: .internal, message: "could not start the probe engine thread (error \(status))")
        }
        let handle = created
        #endif
        // Its resources are released when it exits; `exited()` is how callers wait for that.
        _ = pthread_detach(handle)
        // Only microseconds; it means the thread is observable (by name) once init returns.
        started.wait()
        return thread
    }

    /// Returns once the thread's closure has returned and been released. Suspends the calling
    /// task without blocking its thread (the engine thread resumes it). Safe from several
    /// tasks at once, and at any time after `spawn`.
    func exited() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if !state.exited { state.waiters.append(continuation) }
                return state.exited
            }
            if done { continuation.resume() }
        }
    }

    /// Marks the thread done and wakes its waiters (the thread's last act).
    private func markExited() {
        let waiters = state.withLock { state in
            state.exited = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private static func run(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
        guard let context else { return nil }
        let thread = runAndRelease(Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue())
        thread.markExited()
        return nil
    }

    /// Runs the start's body and releases it (and with it everything the body captured, the
    /// engine loop and its libcurl handles) before returning, so that waiters woken after this
    /// find the engine's resources freed.
    private static func runAndRelease(_ start: consuming ThreadStart) -> EngineThread {
        start.setName()
        blockSIGPIPE()
        start.started.signal()
        start.body()
        return start.thread
    }

    /// Suspends the calling thread. Only for the engine thread's own back-off, never for
    /// threads of the cooperative pool.
    static func pause(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }

    /// Blocks SIGPIPE for the calling thread only. The engine thread does all of libcurl's
    /// socket I/O; with `CURLOPT_NOSIGNAL` libcurl does not ignore SIGPIPE itself, and a
    /// TLS library writing to a socket the peer has reset would otherwise raise it, killing
    /// the process. SIGPIPE from a write is sent to the writing thread, so blocking it here
    /// turns it into a plain EPIPE error without touching the process's signal handling.
    private static func blockSIGPIPE() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        _ = pthread_sigmask(SIG_BLOCK, &signals, nil)
    }
}

/// What a new thread runs; passed to `pthread_create` as a retained raw pointer that the
/// thread takes back (balancing the retain) before running the body.
private final class ThreadStart {
    let name: String
    let started: DispatchSemaphore
    let thread: EngineThread
    let body: () -> Void

    init(name: String, started: DispatchSemaphore, thread: EngineThread, body: @escaping () -> Void) {
        self.name = name
        self.started = started
        self.thread = thread
        self.body = body
    }

    func setName() {
        let truncated = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        #if canImport(Darwin)
        _ = pthread_setname_np(truncated)
        #elseif os(Linux)
        // Glibc's module map hides the GNU-only pthread_setname_np; writing the thread's
        // comm file is the same operation, and a failure only loses the name.
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = truncated.withCString { write(fd, $0, strlen($0)) }
        _ = close(fd)
        #endif
    }
}
