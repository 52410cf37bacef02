/// Comparison whose time depends only on the lengths of its inputs, never on where they
/// first differ, for checking secrets and their hashes.
enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. Lengths are not secret: unequal lengths
    /// return at once.
    static func equals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) {
            difference |= x ^ y
        }
        return difference == 0
    }

    /// Whether two strings hold the same UTF-8 bytes (e.g. two hex digests).
    static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
