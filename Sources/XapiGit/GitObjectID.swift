import CGit2

/// The SHA-1 name of a Git object, as 40 lower-case hexadecimal digits.
public struct GitObjectID: Sendable, Hashable, CustomStringConvertible {
    public let hex: String

    /// Reads an object name from 40 hexadecimal digits in either case; nil for any other text.
    public init?(hex: String) {
        let digits = Array(hex.lowercased().utf8)
        guard digits.count == 40, digits.allSatisfy(Self.isHexDigit) else { return nil }
        self.hex = String(decoding: digits, as: UTF8.self)
    }

    init(_ oid: git_oid) {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(40)
        withUnsafeBytes(of: oid.id) { bytes in
            for byte in bytes {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0f)])
            }
        }
        self.hex = String(decoding: text, as: UTF8.self)
    }

    /// The libgit2 form of this name.
    var oid: git_oid {
        var oid = git_oid()
        let digits = Array(hex.utf8)
        withUnsafeMutableBytes(of: &oid.id) { bytes in
            for index in bytes.indices {
                bytes[index] = Self.value(digits[2 * index]) << 4 | Self.value(digits[2 * index + 1])
            }
        }
        return oid
    }

    public var description: String { hex }

    private static func isHexDigit(_ character: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(character)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(character)
    }

    private static func value(_ digit: UInt8) -> UInt8 {
        digit <= UInt8(ascii: "9") ? digit - UInt8(ascii: "0") : digit - UInt8(ascii: "a") + 10
    }
}
