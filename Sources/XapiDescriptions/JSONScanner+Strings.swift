extension JSONScanner {
    /// Scans the string whose opening quote is at `index` and leaves `index` after its closing quote.
    ///
    /// Returns the decoded UTF-8 bytes when `decoding` is true, else nil. Either way it checks every escape
    /// sequence, rejects unpaired surrogate escapes and unescaped control characters, and validates the UTF-8.
    mutating func scanString(decoding: Bool) throws(DescriptionProblem) -> [UInt8]? {
        let openingQuote = index
        var decoded: [UInt8]? = decoding ? [] : nil
        index += 1

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case JSONSyntax.quote:
                index += 1
                return decoded
            case JSONSyntax.backslash:
                try scanEscape(openingQuote: openingQuote, into: &decoded)
            case JSONSyntax.lineFeed, JSONSyntax.carriageReturn:
                throw unterminatedString(openingQuote: openingQuote, before: "the end of its line")
            case 0x00..<0x20:
                throw DescriptionProblem(
                    "invalid JSON: control character U+\(JSONSyntax.hex(byte, digits: 4)) in a string must be "
                        + "written as an escape such as \\u\(JSONSyntax.hex(byte, digits: 4))",
                    at: .offset(index)
                )
            case 0x20..<0x80:
                decoded?.append(byte)
                index += 1
            default:
                let length = try validUTF8SequenceLength()
                if decoding {
                    decoded?.append(contentsOf: bytes[index..<(index + length)])
                }
                index += length
            }
        }
        throw unterminatedString(openingQuote: openingQuote, before: "the end of the file")
    }

    /// Scans the escape sequence at `index`, which starts with a backslash, and appends what it stands for.
    private mutating func scanEscape(openingQuote: Int, into decoded: inout [UInt8]?) throws(DescriptionProblem) {
        let escapeStart = index
        guard index + 1 < bytes.count else {
            throw unterminatedString(openingQuote: openingQuote, before: "the end of the file")
        }

        let letter = bytes[index + 1]
        index += 2
        switch letter {
        case JSONSyntax.quote, JSONSyntax.backslash, JSONSyntax.slash:
            decoded?.append(letter)
        case UInt8(ascii: "b"):
            decoded?.append(0x08)
        case UInt8(ascii: "f"):
            decoded?.append(0x0C)
        case UInt8(ascii: "n"):
            decoded?.append(0x0A)
        case UInt8(ascii: "r"):
            decoded?.append(0x0D)
        case UInt8(ascii: "t"):
            decoded?.append(0x09)
        case UInt8(ascii: "u"):
            let value = try scanUnicodeEscape(escapeStart: escapeStart)
            if decoded != nil, let scalar = Unicode.Scalar(value) {
                decoded?.append(contentsOf: Array(String(scalar).utf8))
            }
        default:
            throw DescriptionProblem(
                "invalid JSON: invalid escape sequence \\\(escapedLetter(letter)) in a string; the valid escapes "
                    + "are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\u followed by four hexadecimal digits",
                at: .offset(escapeStart)
            )
        }
    }

    /// Scans the four hexadecimal digits after `\u`, and a second `\uXXXX` when the first is a high surrogate,
    /// and returns the Unicode scalar value they encode.
    private mutating func scanUnicodeEscape(escapeStart: Int) throws(DescriptionProblem) -> UInt32 {
        let unit = try scanHexQuad(escapeStart: escapeStart)
        switch unit {
        case 0xD800...0xDBFF:
            let lowStart = index
            let hasSecondEscape =
                index + 1 < bytes.count && bytes[index] == JSONSyntax.backslash
                && bytes[index + 1] == UInt8(ascii: "u")
            guard hasSecondEscape else {
                throw loneSurrogate(unit, at: escapeStart)
            }
            index += 2
            let low = try scanHexQuad(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw loneSurrogate(unit, at: escapeStart)
            }
            return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        case 0xDC00...0xDFFF:
            throw loneSurrogate(unit, at: escapeStart)
        default:
            return unit
        }
    }

    private mutating func scanHexQuad(escapeStart: Int) throws(DescriptionProblem) -> UInt32 {
        guard index + 4 <= bytes.count, bytes[index..<(index + 4)].allSatisfy(JSONSyntax.isHexDigit) else {
            throw DescriptionProblem(
                "invalid JSON: the escape \\u must be followed by four hexadecimal digits",
                at: .offset(escapeStart)
            )
        }

        var value: UInt32 = 0
        for byte in bytes[index..<(index + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"):
                digit = byte - UInt8(ascii: "a") + 10
            default:
                digit = byte - UInt8(ascii: "A") + 10
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    /// Returns the length of the well-formed UTF-8 sequence whose lead byte is at `index`, a byte of 0x80 or more.
    ///
    /// The accepted ranges of the first two bytes reject overlong forms, encoded surrogates (U+D800 to U+DFFF) and
    /// values above U+10FFFF, none of which is well-formed UTF-8.
    private func validUTF8SequenceLength() throws(DescriptionProblem) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondByteRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF:
            length = 2
        case 0xE0:
            length = 3
            secondByteRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF:
            length = 3
        case 0xED:
            length = 3
            secondByteRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondByteRange = 0x90...0xBF
        case 0xF1...0xF3:
            length = 4
        case 0xF4:
            length = 4
            secondByteRange = 0x80...0x8F
        default:
            throw invalidUTF8(at: index)
        }

        guard index + length <= bytes.count, secondByteRange.contains(bytes[index + 1]) else {
            throw invalidUTF8(at: index)
        }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
            throw invalidUTF8(at: index)
        }
        return length
    }

    private func escapedLetter(_ letter: UInt8) -> String {
        letter >= 0x21 && letter <= 0x7E ? String(Character(Unicode.Scalar(letter))) : JSONSyntax.describe(letter)
    }

    private func unterminatedString(openingQuote: Int, before end: String) -> DescriptionProblem {
        DescriptionProblem(
            "invalid JSON: the string that starts here has no closing quote before \(end)",
            at: .offset(openingQuote)
        )
    }

    private func loneSurrogate(_ unit: UInt32, at escapeStart: Int) -> DescriptionProblem {
        let half =
            unit < 0xDC00
            ? "high surrogate without a low surrogate escape after it"
            : "low surrogate without a high surrogate escape before it"
        return DescriptionProblem(
            "invalid JSON: the escape \\u\(JSONSyntax.hex(unit, digits: 4)) is a \(half); write the character "
                + "as a surrogate pair or as UTF-8",
            at: .offset(escapeStart)
        )
    }

    private func invalidUTF8(at offset: Int) -> DescriptionProblem {
        DescriptionProblem(
            "invalid JSON: \(JSONSyntax.describe(bytes[offset])) starts no valid UTF-8 sequence; "
                + "save the file as UTF-8",
            at: .offset(offset)
        )
    }
}
