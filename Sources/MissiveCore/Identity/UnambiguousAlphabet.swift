/// The 31 symbols people can read off paper or a screen and type back without confusing
/// them: digits and capital letters without 0, O, 1, I and L. Recovery codes and postal
/// verification codes are drawn from it, and read back tolerantly (any case, spaces and
/// dashes anywhere).
enum UnambiguousAlphabet {
    static let symbols: [Character] = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")

    /// Inputs longer than this are refused before looking at them.
    static let maximumInputBytes = 128

    /// `count` symbols drawn uniformly with the system's secure generator.
    static func random(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in symbols[Int(generator.next(upperBound: UInt64(symbols.count)))] })
    }

    /// The canonical form (capitals, no separators) of a typed code of `length` symbols, or
    /// nil when the input holds anything but symbols of the alphabet in either case,
    /// whitespace and dashes, or has the wrong number of symbols. Only ASCII letters change
    /// case, so no Unicode case mapping (`ß` → `SS`) can make up a symbol.
    static func canonical(_ input: String, length: Int) -> String? {
        guard input.utf8.count <= maximumInputBytes else { return nil }
        var out = ""
        for scalar in input.unicodeScalars {
            if scalar.properties.isWhitespace || dashes.contains(scalar) { continue }
            guard scalar.isASCII else { return nil }
            let upper = Character(scalar).uppercased()
            guard let symbol = upper.first, upper.count == 1, symbols.contains(symbol) else { return nil }
            out.append(symbol)
        }
        return out.count == length ? out : nil
    }

    /// `code` in groups of `size` joined by dashes: `ABCD-EFGH`.
    static func grouped(_ code: String, size: Int) -> String {
        var groups: [Substring] = []
        var rest = Substring(code)
        while !rest.isEmpty {
            groups.append(rest.prefix(size))
            rest = rest.dropFirst(size)
        }
        return groups.joined(separator: "-")
    }

    /// Hyphen-minus and the Unicode dashes a word processor or phone keyboard puts in its place.
    private static let dashes: Set<Unicode.Scalar> = ["-", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2212}"]
}
