import CSodium

/// Seals and opens tokens with XChaCha20-Poly1305-IETF (libsodium's
/// `crypto_aead_xchacha20poly1305_ietf_*`).
///
/// A sealed token is the random 24-byte nonce followed by the ciphertext and its 16-byte tag. The
/// associated data binds it to one integration, so a sealed token copied into another row fails to open.
enum TokenSealing {
    static let nonceByteCount = Int(crypto_aead_xchacha20poly1305_ietf_npubbytes())
    static let tagByteCount = Int(crypto_aead_xchacha20poly1305_ietf_abytes())

    /// Whether `sodium_init` succeeded. Swift runs this static initializer once, on first use.
    private static let sodiumIsReady: Bool = sodium_init() >= 0

    /// Throws unless libsodium is initialised.
    static func requireSodium() throws {
        guard sodiumIsReady else {
            throw StoreError(
                .cryptography,
                "libsodium could not be initialised (sodium_init failed); check that /dev/urandom is readable"
            )
        }
    }

    /// Returns the associated data of an integration's sealed token.
    static func associatedData(integrationUID uid: String) -> [UInt8] {
        Array("xapi-git/token/v1/\(uid)".utf8)
    }

    /// Returns `count` bytes from libsodium's random generator.
    static func randomBytes(_ count: Int) throws -> [UInt8] {
        try requireSodium()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            randombytes_buf(start, buffer.count)
        }
        return bytes
    }

    /// Seals `plaintext` under `key` with a fresh random nonce.
    static func seal(_ plaintext: [UInt8], associatedData: [UInt8], key: SealingKey) throws -> [UInt8] {
        let nonce = try randomBytes(nonceByteCount)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var ciphertextLength: UInt64 = 0

        let code = ciphertext.withUnsafeMutableBufferPointer { output -> Int32 in
            guard let start = output.baseAddress else { return -1 }
            return crypto_aead_xchacha20poly1305_ietf_encrypt(
                start, &ciphertextLength,
                plaintext, UInt64(plaintext.count),
                associatedData, UInt64(associatedData.count),
                nil, nonce, key.bytes
            )
        }
        guard code == 0, ciphertextLength == UInt64(ciphertext.count) else {
            throw StoreError(
                .cryptography,
                "libsodium failed to seal a token (crypto_aead_xchacha20poly1305_ietf_encrypt returned \(code))"
            )
        }
        return nonce + ciphertext
    }

    /// Opens a sealed token, or returns nil when the key or the associated data does not match or the
    /// bytes were changed.
    static func open(_ sealed: [UInt8], associatedData: [UInt8], key: SealingKey) throws -> [UInt8]? {
        try requireSodium()
        guard sealed.count >= nonceByteCount + tagByteCount else { return nil }

        let nonce = Array(sealed[..<nonceByteCount])
        let ciphertext = Array(sealed[nonceByteCount...])
        // One spare byte keeps the output buffer's address non-nil when the plaintext is empty.
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount + 1)
        var plaintextLength: UInt64 = 0

        let code = plaintext.withUnsafeMutableBufferPointer { output -> Int32 in
            guard let start = output.baseAddress else { return -1 }
            return crypto_aead_xchacha20poly1305_ietf_decrypt(
                start, &plaintextLength,
                nil,
                ciphertext, UInt64(ciphertext.count),
                associatedData, UInt64(associatedData.count),
                nonce, key.bytes
            )
        }
        guard code == 0 else { return nil }
        return Array(plaintext[..<Int(plaintextLength)])
    }
}
