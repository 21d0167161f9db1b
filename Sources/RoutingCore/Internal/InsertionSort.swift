/// Sorts `buffer` in place with insertion sort: no allocation (the standard library's sort may allocate a merge
/// buffer), stable, and fast for the few dozen candidates a model has.
@inline(__always)
public func insertionSort<Element>(
    _ buffer: UnsafeMutableBufferPointer<Element>, count: Int, by areInIncreasingOrder: (Element, Element) -> Bool
) {
    guard count > 1 else { return }
    for next in 1..<count {
        let element = buffer[next]
        var slot = next
        while slot > 0, areInIncreasingOrder(element, buffer[slot - 1]) {
            buffer[slot] = buffer[slot - 1]
            slot -= 1
        }
        buffer[slot] = element
    }
}
