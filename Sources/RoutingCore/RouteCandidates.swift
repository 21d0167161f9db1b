/// A plan's candidates, best first: a collection that holds up to ``inlineCapacity`` of them inline, so that
/// building a plan allocates nothing for the models of an edge node (a handful of deployments each).
///
/// A plan with more candidates than that moves them all into one array, at the append that overflows: one heap
/// allocation for that plan, and otherwise the same behaviour. The pipeline takes candidates from the front
/// (``popFirst()``) and puts a hedge's unused backup back; with at most ``inlineCapacity`` entries those edits
/// rebuild the inline storage in place and allocate nothing either.
public struct RouteCandidates: RandomAccessCollection, RangeReplaceableCollection, ExpressibleByArrayLiteral, Sendable {
    /// How many candidates fit without an allocation.
    public static let inlineCapacity = 8

    private var slots = InlineSlots()
    /// Every candidate, once there were more than ``inlineCapacity``; `slots` are then all empty.
    private var spilled: [RouteCandidate]?
    private var inlineCount = 0

    /// No candidates.
    public init() {}

    /// The candidates of an array literal, in order.
    public init(arrayLiteral elements: RouteCandidate...) {
        self.init(elements)
    }

    /// Always 0.
    public var startIndex: Int { 0 }
    /// The number of candidates.
    public var endIndex: Int { spilled?.count ?? inlineCount }

    /// The candidate at `position` (0 is the best).
    public subscript(position: Int) -> RouteCandidate {
        if let spilled { return spilled[position] }
        precondition(position >= 0 && position < inlineCount, "RouteCandidates index out of range")
        guard let candidate = slots[position] else { preconditionFailure("RouteCandidates slot below count is empty") }
        return candidate
    }

    /// Whether the candidates moved to the heap (more than ``inlineCapacity`` were appended).
    public var isSpilled: Bool { spilled != nil }

    /// Adds `candidate` last; past ``inlineCapacity`` candidates, moves them all into one array.
    public mutating func append(_ candidate: RouteCandidate) {
        if spilled != nil {
            spilled?.append(candidate)
        } else if inlineCount < Self.inlineCapacity {
            slots[inlineCount] = candidate
            inlineCount += 1
        } else {
            var all: [RouteCandidate] = []
            all.reserveCapacity(inlineCount * 2)
            for index in 0..<inlineCount {
                if let kept = slots[index] { all.append(kept) }
            }
            all.append(candidate)
            slots = InlineSlots()
            inlineCount = 0
            spilled = all
        }
    }

    /// Removes and returns the first candidate, or nil when there is none.
    public mutating func popFirst() -> RouteCandidate? {
        isEmpty ? nil : removeFirst()
    }

    /// Replaces the candidates in `subrange` with `newElements` (what `insert`, `remove` and `removeFirst` use).
    public mutating func replaceSubrange<C: Collection>(_ subrange: Range<Int>, with newElements: C)
    where C.Element == RouteCandidate {
        precondition(subrange.lowerBound >= 0 && subrange.upperBound <= count, "RouteCandidates range out of bounds")
        // At most a few candidates: rebuilding is cheaper than shifting, and stays inline whenever the result fits.
        var result = RouteCandidates()
        for index in 0..<subrange.lowerBound { result.append(self[index]) }
        for candidate in newElements { result.append(candidate) }
        for index in subrange.upperBound..<count { result.append(self[index]) }
        self = result
    }
}

/// Eight optional candidates as stored properties: fixed-size storage inside the plan, read and written by position
/// without any unsafe pointer.
private struct InlineSlots: Sendable {
    var slot0: RouteCandidate?
    var slot1: RouteCandidate?
    var slot2: RouteCandidate?
    var slot3: RouteCandidate?
    var slot4: RouteCandidate?
    var slot5: RouteCandidate?
    var slot6: RouteCandidate?
    var slot7: RouteCandidate?

    subscript(position: Int) -> RouteCandidate? {
        get {
            switch position {
            case 0: slot0
            case 1: slot1
            case 2: slot2
            case 3: slot3
            case 4: slot4
            case 5: slot5
            case 6: slot6
            case 7: slot7
            default: nil
            }
        }
        set {
            switch position {
            case 0: slot0 = newValue
            case 1: slot1 = newValue
            case 2: slot2 = newValue
            case 3: slot3 = newValue
            case 4: slot4 = newValue
            case 5: slot5 = newValue
            case 6: slot6 = newValue
            case 7: slot7 = newValue
            default: preconditionFailure("InlineSlots holds \(RouteCandidates.inlineCapacity) candidates")
            }
        }
    }
}
