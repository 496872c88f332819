/// A strict JSON (RFC 8259) scanner that validates a whole file in one pass and reports the first error by
/// byte offset.
///
/// It builds no values: it keeps a stack of open containers, bounded by `DescriptionChecker.maximumDepth`, and
/// decodes only the strings the check needs, which are the keys of the root object and the value of a kind key.
/// It loops over an explicit state instead of recursing, so deep input cannot overflow the call stack.
struct JSONScanner {
    private enum Container {
        case object
        case array
    }

    /// The next part of the grammar the scanner expects. The comma offsets let a trailing comma be reported
    /// where it is.
    private enum State {
        case value(afterComma: Int?)
        case key(afterComma: Int?)
        case afterValue
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    private var containers: [(container: Container, start: Int)] = []
    private var keys = TopLevelKeys()

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Validates `bytes` as one JSON value and returns what it found at the top level.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) throws(DescriptionProblem) -> TopLevelKeys {
        var scanner = JSONScanner(bytes)
        try scanner.run()
        return scanner.keys
    }

    private mutating func run() throws(DescriptionProblem) {
        try skipByteOrderMark()
        skipWhitespace()
        guard index < bytes.count else {
            throw DescriptionProblem("invalid JSON: the file contains no value", at: .offset(index))
        }

        var state = State.value(afterComma: nil)
        while true {
            switch state {
            case .value(let comma):
                state = try scanValue(afterComma: comma)
            case .key(let comma):
                try scanKey(afterComma: comma)
                state = .value(afterComma: nil)
            case .afterValue:
                guard let next = try scanAfterValue() else {
                    return
                }
                state = next
            }
        }
    }

    /// Skips a UTF-8 byte order mark and rejects the UTF-16 ones, because JSON files must be UTF-8.
    private mutating func skipByteOrderMark() throws(DescriptionProblem) {
        if bytes.starts(with: ByteOrderMark.utf8) {
            index = ByteOrderMark.utf8.count
        } else if bytes.starts(with: ByteOrderMark.utf16BigEndian)
            || bytes.starts(with: ByteOrderMark.utf16LittleEndian)
        {
            throw DescriptionProblem(
                "invalid JSON: the file is encoded in UTF-16, but JSON files must be UTF-8; convert it to UTF-8",
                at: nil
            )
        }
    }

    mutating func skipWhitespace() {
        while index < bytes.count, JSONSyntax.isWhitespace(bytes[index]) {
            index += 1
        }
    }

    // MARK: - Grammar steps

    /// Scans one value, or opens a container and returns the state for its first member or element.
    private mutating func scanValue(afterComma comma: Int?) throws(DescriptionProblem) -> State {
        skipWhitespace()
        guard index < bytes.count else {
            throw endOfFile(expecting: "a value")
        }

        let start = index
        let byte = bytes[index]
        let isRootMember = containers.count == 1 && containers[0].container == .object
        switch byte {
        case JSONSyntax.openBrace:
            noteNode(.mapping, text: nil, at: start, isRootMember: isRootMember)
            try open(.object)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == JSONSyntax.closeBrace else {
                return .key(afterComma: nil)
            }
            index += 1
            containers.removeLast()
            return .afterValue

        case JSONSyntax.openBracket:
            noteNode(.sequence, text: nil, at: start, isRootMember: isRootMember)
            try open(.array)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == JSONSyntax.closeBracket else {
                return .value(afterComma: nil)
            }
            index += 1
            containers.removeLast()
            return .afterValue

        case JSONSyntax.quote:
            let decoded = try scanString(decoding: isRootMember && keys.isAwaitingVersion)
            let text = decoded.map { String(decoding: $0, as: UTF8.self) }
            noteNode(.scalar, text: text, at: start, isRootMember: isRootMember)
            return .afterValue

        case JSONSyntax.minus, JSONSyntax.zero...UInt8(ascii: "9"):
            let range = try scanNumber()
            let text = scalarText(range, isRootMember: isRootMember)
            noteNode(.scalar, text: text, at: start, isRootMember: isRootMember)
            return .afterValue

        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let range = try scanLiteral()
            let text = scalarText(range, isRootMember: isRootMember)
            noteNode(.scalar, text: text, at: start, isRootMember: isRootMember)
            return .afterValue

        case JSONSyntax.closeBracket, JSONSyntax.closeBrace:
            if let comma {
                throw trailingComma(at: comma)
            }
            throw unexpected(byte, expecting: "a value")

        default:
            throw unexpected(byte, expecting: "a value")
        }
    }

    /// Scans an object key and the colon after it, recording the key when the object is the root.
    private mutating func scanKey(afterComma comma: Int?) throws(DescriptionProblem) {
        skipWhitespace()
        guard index < bytes.count else {
            throw endOfFile(expecting: "a key in double quotes")
        }
        if bytes[index] == JSONSyntax.closeBrace, let comma {
            throw trailingComma(at: comma)
        }
        guard bytes[index] == JSONSyntax.quote else {
            throw unexpected(bytes[index], expecting: "a key in double quotes")
        }

        let start = index
        let isRootKey = containers.count == 1
        if let decoded = try scanString(decoding: isRootKey) {
            try keys.noteKey(String(decoding: decoded, as: UTF8.self), at: .offset(start))
        }

        skipWhitespace()
        guard index < bytes.count else {
            throw endOfFile(expecting: "':' after the key")
        }
        guard bytes[index] == JSONSyntax.colon else {
            throw unexpected(bytes[index], expecting: "':' after the key")
        }
        index += 1
    }

    /// Scans what follows a complete value: a comma, a closing bracket, or the end of the file at the top level.
    /// Returns nil when the file is complete.
    private mutating func scanAfterValue() throws(DescriptionProblem) -> State? {
        skipWhitespace()
        guard let innermost = containers.last else {
            guard index == bytes.count else {
                throw DescriptionProblem(
                    "invalid JSON: unexpected \(JSONSyntax.describe(bytes[index])) after the end of the top-level "
                        + "value; a file holds exactly one value",
                    at: .offset(index)
                )
            }
            return nil
        }
        guard index < bytes.count else {
            throw unclosed(innermost)
        }

        let byte = bytes[index]
        switch (byte, innermost.container) {
        case (JSONSyntax.comma, .object):
            index += 1
            return .key(afterComma: index - 1)
        case (JSONSyntax.comma, .array):
            index += 1
            return .value(afterComma: index - 1)
        case (JSONSyntax.closeBrace, .object), (JSONSyntax.closeBracket, .array):
            index += 1
            containers.removeLast()
            return .afterValue
        case (_, .object):
            throw unexpected(byte, expecting: "',' or '}' after an object member")
        case (_, .array):
            throw unexpected(byte, expecting: "',' or ']' after an array element")
        }
    }

    private mutating func open(_ container: Container) throws(DescriptionProblem) {
        guard containers.count < DescriptionChecker.maximumDepth else {
            throw DescriptionProblem(
                "invalid JSON: nesting is deeper than \(DescriptionChecker.maximumDepth) levels; "
                    + "descriptions that deep are not supported",
                at: .offset(index)
            )
        }
        containers.append((container, index))
        index += 1
    }

    // MARK: - Top-level facts

    private mutating func noteNode(_ node: TopLevelKeys.RootNode, text: String?, at start: Int, isRootMember: Bool) {
        if containers.isEmpty {
            keys.noteRoot(node, at: .offset(start))
        } else if isRootMember {
            keys.noteValue(text)
        }
    }

    /// Returns the written text of a number or literal when it is the value of a kind key, else nil.
    private func scalarText(_ range: Range<Int>, isRootMember: Bool) -> String? {
        guard isRootMember, keys.isAwaitingVersion else {
            return nil
        }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    // MARK: - Errors

    func unexpected(_ byte: UInt8, expecting expected: String) -> DescriptionProblem {
        DescriptionProblem(
            "invalid JSON: expected \(expected), but found \(JSONSyntax.describe(byte))",
            at: .offset(index)
        )
    }

    func endOfFile(expecting expected: String) -> DescriptionProblem {
        DescriptionProblem("invalid JSON: expected \(expected), but the file ends", at: .offset(bytes.count))
    }

    private func trailingComma(at comma: Int) -> DescriptionProblem {
        DescriptionProblem(
            "invalid JSON: trailing comma before the closing bracket; remove the comma",
            at: .offset(comma)
        )
    }

    private func unclosed(_ innermost: (container: Container, start: Int)) -> DescriptionProblem {
        let opening = TextPosition.locate(offset: innermost.start, in: bytes)
        let name = innermost.container == .object ? "object" : "array"
        return DescriptionProblem(
            "invalid JSON: the file ends before the \(name) that opens at line \(opening.line), column "
                + "\(opening.column) is closed",
            at: .offset(bytes.count)
        )
    }
}
