extension JSONScanner {
    /// Scans the number at `index` by RFC 8259's grammar and returns its byte range.
    ///
    /// The grammar has no leading `+`, no leading zeros, no bare decimal point, no `NaN` and no `Infinity`.
    mutating func scanNumber() throws(DescriptionProblem) -> Range<Int> {
        let start = index
        if bytes[index] == JSONSyntax.minus {
            index += 1
        }

        guard index < bytes.count, JSONSyntax.isDigit(bytes[index]) else {
            throw invalidNumber("expected a digit after '-'")
        }
        if bytes[index] == JSONSyntax.zero {
            index += 1
            if index < bytes.count, JSONSyntax.isDigit(bytes[index]) {
                throw invalidNumber("a number must not have a leading zero")
            }
        } else {
            skipDigits()
        }

        if index < bytes.count, bytes[index] == JSONSyntax.decimalPoint {
            index += 1
            guard index < bytes.count, JSONSyntax.isDigit(bytes[index]) else {
                throw invalidNumber("expected a digit after the decimal point")
            }
            skipDigits()
        }

        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == JSONSyntax.plus || bytes[index] == JSONSyntax.minus {
                index += 1
            }
            guard index < bytes.count, JSONSyntax.isDigit(bytes[index]) else {
                throw invalidNumber("expected a digit in the exponent")
            }
            skipDigits()
        }
        return start..<index
    }

    /// Scans `true`, `false` or `null` at `index` and returns its byte range.
    mutating func scanLiteral() throws(DescriptionProblem) -> Range<Int> {
        let start = index
        let rest = bytes[index...]
        for literal in JSONSyntax.literals where rest.starts(with: literal) {
            index += literal.count
            return start..<index
        }
        throw DescriptionProblem(
            "invalid JSON: expected a value such as true, false or null, but found an unknown word; "
                + "strings need double quotes",
            at: .offset(start)
        )
    }

    private mutating func skipDigits() {
        while index < bytes.count, JSONSyntax.isDigit(bytes[index]) {
            index += 1
        }
    }

    private func invalidNumber(_ reason: String) -> DescriptionProblem {
        DescriptionProblem("invalid JSON: invalid number: \(reason)", at: .offset(index))
    }
}
