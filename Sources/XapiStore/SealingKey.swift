import CSodium
import Foundation

/// The 32-byte key that seals the tokens in a store.
///
/// The key lives apart from the store: in a key file next to it (mode 0600) or in the environment
/// variable XAPI_GIT_KEY as base64. Its description prints `<redacted>`.
public struct SealingKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Key length in bytes (`crypto_aead_xchacha20poly1305_ietf_KEYBYTES`).
    public static let byteCount = Int(crypto_aead_xchacha20poly1305_ietf_keybytes())

    let bytes: [UInt8]

    /// Decodes a key from base64, such as the value of XAPI_GIT_KEY. Surrounding white space is ignored.
    ///
    /// - Throws: `StoreError` `.invalidKey` when the text is not base64 of exactly 32 bytes.
    public init(base64: String) throws {
        try self.init(base64: base64, source: "XAPI_GIT_KEY")
    }

    init(base64: String, source: String) throws {
        let text = base64.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: text) else {
            throw StoreError(
                .invalidKey,
                "the sealing key in \(source) is not valid base64; it must be the base64 text of \(Self.byteCount) "
                    + "random bytes, as xapi-git writes it to the key file"
            )
        }
        guard data.count == Self.byteCount else {
            throw StoreError(
                .invalidKey,
                "the sealing key in \(source) decodes to \(data.count) bytes instead of \(Self.byteCount); "
                    + "use the base64 text of the key file"
            )
        }
        self.bytes = Array(data)
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Creates a new random key from libsodium's random generator.
    public static func generate() throws -> SealingKey {
        SealingKey(bytes: try TokenSealing.randomBytes(byteCount))
    }

    /// Returns the key as base64 text, for the one place it is written or shown to its owner.
    public func revealedBase64() -> String {
        Data(bytes).base64EncodedString()
    }

    public static func == (lhs: SealingKey, rhs: SealingKey) -> Bool {
        // Constant-time comparison, so comparing keys leaks no timing about their bytes.
        lhs.bytes.count == rhs.bytes.count && sodium_memcmp(lhs.bytes, rhs.bytes, lhs.bytes.count) == 0
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
