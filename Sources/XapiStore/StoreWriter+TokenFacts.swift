public import Foundation

extension StoreWriter {
    /// Stores what a successful check of credential version `credentialVersion` learned about the token:
    /// the account that owns it, its expiry (nil for none) and its scopes. The version and state stay as
    /// they are.
    ///
    /// It fills in the facts of integrations stored without a check, such as imported ones, and keeps
    /// them current when the platform changes a token's expiry or scopes.
    ///
    /// - Returns: false, changing nothing, when the stored credential version differs from
    ///   `credentialVersion`: the facts belong to a token that was replaced while the check ran.
    /// - Throws: `.notFound` for an unknown id.
    @discardableResult
    public func recordTokenFacts(
        id: Int64,
        credentialVersion: Int64,
        account: String?,
        expiresAt: Date?,
        scopes: [String],
        at now: Date = Date()
    ) throws -> Bool {
        let current = try requireIntegration(id: id)
        guard credentialVersion == current.credentialVersion else { return false }

        try database().run(
            """
            UPDATE integrations SET account = ?1, expires_at = ?2, scopes = ?3, updated_at = ?4
            WHERE id = ?5 AND credential_version = ?6
            """,
            [
                SQLiteValue(account),
                SQLiteValue(expiresAt),
                .text(try JSONColumn.encode(scopes)),
                .real(now.timeIntervalSince1970),
                .integer(id),
                .integer(credentialVersion),
            ]
        )
        return true
    }
}
