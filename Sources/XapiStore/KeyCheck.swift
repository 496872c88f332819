/// A known value sealed with the store's key, kept in `store_meta` so that opening a store with the
/// wrong key fails at once, even when the store contains no token yet.
enum KeyCheck {
    private static let rowName = "key_check"
    private static let plaintext = Array("xapi-git/key-check/v1".utf8)
    private static let associatedData = Array("xapi-git/key-check/v1".utf8)

    /// Verifies the check value with `key`, storing a new one when the store has none yet.
    static func verifyOrCreate(_ connection: SQLiteConnection, key: SealingKey) throws {
        if try storedValue(connection) == nil {
            let sealed = try TokenSealing.seal(plaintext, associatedData: associatedData, key: key)
            try connection.transaction(immediate: true) {
                // Another process may have created it meanwhile; then its value is verified below.
                try connection.run(
                    "INSERT OR IGNORE INTO store_meta (name, value) VALUES (?1, ?2)",
                    [.text(rowName), .blob(sealed)]
                )
            }
        }
        try verify(connection, key: key)
    }

    /// Throws `.keyMismatch` unless the stored check value opens with `key`.
    static func verify(_ connection: SQLiteConnection, key: SealingKey) throws {
        guard let sealed = try storedValue(connection),
            try TokenSealing.open(sealed, associatedData: associatedData, key: key) == plaintext
        else {
            throw StoreError(
                .keyMismatch,
                "the sealing key does not match the store \(connection.path); was XAPI_GIT_KEY or the key file "
                    + "changed? Use the key the store was created or last rotated with"
            )
        }
    }

    /// Replaces the check value with one sealed with `key`, inside the caller's transaction.
    static func replace(_ connection: SQLiteConnection, key: SealingKey) throws {
        let sealed = try TokenSealing.seal(plaintext, associatedData: associatedData, key: key)
        try connection.run(
            "INSERT OR REPLACE INTO store_meta (name, value) VALUES (?1, ?2)",
            [.text(rowName), .blob(sealed)]
        )
    }

    private static func storedValue(_ connection: SQLiteConnection) throws -> [UInt8]? {
        try connection.queryFirst("SELECT value FROM store_meta WHERE name = ?1", [.text(rowName)]) { $0.blob(0) }
    }
}
