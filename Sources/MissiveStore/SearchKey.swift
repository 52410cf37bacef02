import Foundation
import MissiveCore

/// Text as the business inbox search compares it: case, accents and width do not matter
/// ("zurich" finds "Zürich", "MUSTER" finds "Muster"), and "ß" is "ss".
enum SearchKey {
    /// The folded form stored beside a searchable column.
    static func fold(_ text: String) -> String {
        text.folded(widthInsensitive: true)
    }

    /// A `LIKE … ESCAPE '\'` pattern that finds `text` anywhere in a folded column; `%`, `_`
    /// and `\` in the text match themselves.
    static func containing(_ text: String) -> String {
        var pattern = "%"
        for character in fold(text) {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }
}
