/// Stack storage for the candidate views of a model with at most ``capacity`` deployments.
///
/// `withUnsafeTemporaryAllocation` keeps at most 1 KiB on the stack and goes to the heap above it; eight views are
/// more than that (each holds a whole ``TTFTEstimate``). A local value of this type lives in the caller's frame
/// whatever its size, so a plan for up to eight deployments gathers its views without an allocation. Filling it
/// with empty views first costs a few stores per slot, far less than a `malloc` and `free`.
struct InlineCandidateViews {
    /// How many views fit.
    static let capacity = 8

    private var storage: (
        CandidateView, CandidateView, CandidateView, CandidateView,
        CandidateView, CandidateView, CandidateView, CandidateView
    )

    init() {
        let empty = CandidateView(deploymentIndex: 0, providerHash: 0, ttft: .none)
        storage = (empty, empty, empty, empty, empty, empty, empty, empty)
    }

    /// Calls `body` with the storage as a buffer of ``capacity`` initialised views.
    mutating func withBuffer<Result>(_ body: (UnsafeMutableBufferPointer<CandidateView>) -> Result) -> Result {
        withUnsafeMutablePointer(to: &storage) { tuple in
            // A homogeneous tuple is laid out as its elements at their stride, and its memory is bound to the
            // element type: viewing it as a buffer of views is the documented way to index it.
            let first = UnsafeMutableRawPointer(tuple).assumingMemoryBound(to: CandidateView.self)
            return body(UnsafeMutableBufferPointer(start: first, count: Self.capacity))
        }
    }
}
