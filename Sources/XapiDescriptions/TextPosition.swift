/// A 1-based line and column in a file.
///
/// Line breaks are LF, CR LF (one break) and a lone CR. Columns count Unicode scalars, as libyaml 0.2.5 counts
/// them in its marks, and a UTF-8 byte order mark at the start of the file takes no column.
struct TextPosition: Equatable {
    let line: Int
    let column: Int

    /// Computes the position of the byte at `offset` by scanning the file from its start.
    ///
    /// The scan is linear in `offset`, so parsers keep byte offsets while they run and call this only for the
    /// one position they report.
    static func locate(offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> TextPosition {
        let end = min(max(offset, 0), bytes.count)
        let start = startOfText(in: bytes)
        var line = 1
        var lineStart = min(start, end)
        var index = lineStart
        while index < end {
            if isLineBreak(at: index, in: bytes) {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }

        var column = 1
        for byte in bytes[lineStart..<end] where !isContinuationByte(byte) {
            column += 1
        }
        return TextPosition(line: line, column: column)
    }

    /// Computes the byte offset of this position, or returns nil when the file has no such line or column.
    func offset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = Self.startOfText(in: bytes)
        var currentLine = 1
        while currentLine < line {
            guard index < bytes.count else {
                return nil
            }
            if Self.isLineBreak(at: index, in: bytes) {
                currentLine += 1
            }
            index += 1
        }

        var currentColumn = 1
        while currentColumn < column {
            guard index < bytes.count, !Self.isLineBreak(at: index, in: bytes) else {
                return nil
            }
            index += 1
            while index < bytes.count, Self.isContinuationByte(bytes[index]) {
                index += 1
            }
            currentColumn += 1
        }
        return index < bytes.count ? index : nil
    }

    /// Returns the offset after a UTF-8 byte order mark, or 0 when the file has none.
    private static func startOfText(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.starts(with: ByteOrderMark.utf8) ? ByteOrderMark.utf8.count : 0
    }

    /// Tells whether the byte at `index` ends a line. In CR LF only the LF does, so the pair counts once.
    private static func isLineBreak(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch bytes[index] {
        case JSONSyntax.lineFeed:
            return true
        case JSONSyntax.carriageReturn:
            return index + 1 == bytes.count || bytes[index + 1] != JSONSyntax.lineFeed
        default:
            return false
        }
    }

    private static func isContinuationByte(_ byte: UInt8) -> Bool {
        byte & 0b1100_0000 == 0b1000_0000
    }
}
