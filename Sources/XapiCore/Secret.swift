/// A token or password held in memory.
///
/// Its description, debug description and string interpolation print `<redacted>`, so a secret that
/// slips into a log line, an error message or test output shows no bytes. Read the value only at the
/// point where it leaves the process: an HTTP header or a Git credential.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let bytes: [UInt8]

    public init(_ value: String) {
        self.bytes = Array(value.utf8)
    }

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Reads a secret from text such as standard input, dropping surrounding white space and line ends.
    public init?(trimming text: String) {
        let trimmed = text.trimmingWhitespaceAndNewlines()
        guard !trimmed.isEmpty else { return nil }
        self.init(trimmed)
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Returns the secret's UTF-8 text, for the one call that sends it.
    public func revealed() -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Returns the secret's bytes, for sealing and for searching output in leak tests.
    public func revealedBytes() -> [UInt8] {
        bytes
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

extension String {
    /// Returns the string without leading and trailing spaces, tabs and line ends (no Foundation needed).
    public func trimmingWhitespaceAndNewlines() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
