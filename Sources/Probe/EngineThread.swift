#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// A dedicated OS thread (a pthread, so it can be joined) that runs one closure.
///
/// The engine uses it so libcurl's blocking `curl_multi_poll` never occupies a thread of
/// Swift's cooperative pool.
final class EngineThread: Sendable {
    private struct State {
        var handle: pthread_t
        var finished = false
    }

    /// `pthread_self()` of the thread as an integer, for `isCurrent` without locking.
    private let identity: UInt
    /// Guards joining/detaching so it happens once; held during `pthread_join` so that
    /// concurrent `join()` callers all return only after the thread has exited.
    private let state: Mutex<State>

    private init(handle: pthread_t) {
        identity = Self.identity(of: handle)
        state = Mutex(State(handle: handle))
    }

    /// Starts a thread named `name` (truncated to 15 bytes, the Linux limit) running `body`,
    /// and returns once the thread is running and named.
    /// - Throws: `ProbeError.Code.internal` if the thread could not be created.
    static func spawn(name: String, _ body: sending @escaping () -> Void) throws(ProbeError) -> EngineThread {
        let started = DispatchSemaphore(value: 0)
        let start = Unmanaged.passRetained(ThreadStart(name: name, started: started, body: body)).toOpaque()
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
        // Only microseconds; it means the thread is observable (by name) once init returns.
        started.wait()
        return EngineThread(handle: handle)
    }

    /// Whether the caller is running on this thread.
    var isCurrent: Bool {
        Self.identity(of: pthread_self()) == identity
    }

    /// Waits until the thread has exited. Idempotent and safe from several threads at once.
    /// Called on the thread itself it cannot wait, so it detaches the thread instead, which
    /// then releases its resources when it exits.
    func join() {
        let onThisThread = isCurrent
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            if onThisThread {
                _ = pthread_detach(state.handle)
            } else {
                _ = pthread_join(state.handle, nil)
            }
        }
    }

    private static func run(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
        guard let context else { return nil }
        let start = Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue()
        start.setName()
        blockSIGPIPE()
        start.started.signal()
        start.body()
        return nil
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

    private static func identity(of thread: pthread_t) -> UInt {
        #if canImport(Darwin)
        UInt(bitPattern: thread)
        #else
        UInt(thread)
        #endif
    }
}

/// What a new thread runs; passed to `pthread_create` as a retained raw pointer that the
/// thread takes back (balancing the retain) before running the body.
private final class ThreadStart {
    let name: String
    let started: DispatchSemaphore
    let body: () -> Void

    init(name: String, started: DispatchSemaphore, body: @escaping () -> Void) {
        self.name = name
        self.started = started
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
