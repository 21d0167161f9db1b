/// Client input as an error message may repeat it.
///
/// Error messages name what the client got wrong (a model, a provider id, a header's value), but a client can send
/// a 100 KB model name or a header full of escape sequences: repeated as is, it would bloat every error and reach
/// terminals and logs raw. Each piece of input is therefore cut to ``maximumScalars`` characters, marked with
/// `...` when cut, and stripped of control characters.
public enum EchoedInput {
    /// Longest piece of client input an error message repeats, in Unicode scalars.
    public static let maximumScalars = 64

    /// `text` as an error message may quote it: control characters (C0, DEL, C1) removed, cut to
    /// ``maximumScalars`` with a trailing `...` when longer. Reads no further into `text` than it needs.
    public static func quoted(_ text: some StringProtocol) -> String {
        var kept = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars where !isControl(scalar) {
            guard count < maximumScalars else {
                kept.append(contentsOf: "...".unicodeScalars)
                break
            }
            kept.append(scalar)
            count += 1
        }
        return String(kept)
    }

    /// C0 controls, DEL and C1 controls: what a terminal or a log line could take as a command.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
