public import Foundation
public import XapiCore

extension StoreWriter {
    /// Stores a new integration with its token sealed, and returns it as stored.
    ///
    /// A state other than `unknown` counts as the result of a check made at `now`: it sets
    /// `stateCheckedAt` and records a transition from `unknown`.
    ///
    /// - Throws: `.alreadyExists` when the name is taken, `.invalidValue` for an empty name, platform,
    ///   repository, branch or token.
    @discardableResult
    public func insertIntegration(_ new: NewIntegration, at now: Date = Date()) throws -> IntegrationRecord {
        try Validation.requireText(new.name, "integration name")
        try Validation.requireText(new.platform, "platform of integration '\(new.name)'")
        try Validation.requireText(new.repository, "repository of integration '\(new.name)'")
        try Validation.requireText(new.branch, "branch of integration '\(new.name)'")
        try requireToken(new.token, integration: new.name)
        if try integration(named: new.name) != nil {
            throw StoreError(
                .alreadyExists,
                "integration '\(new.name)' already exists; pick another name or edit it with "
                    + "`xapi-git integration edit`"
            )
        }

        let uid = try TokenSealing.randomBytes(16).map { String(format: "%02x", $0) }.joined()
        let sealed = try seal(new.token, uid: uid)
        let checkedAt: SQLiteValue = new.state == .unknown ? .null : .real(now.timeIntervalSince1970)

        let database = try database()
        try database.run(
            """
            INSERT INTO integrations (
                uid, name, platform, base_url, repository, branch, folder, credential_kind, sealed_token,
                credential_version, account, expires_at, scopes, platform_project_id, state, state_detail,
                state_checked_at, created_at, updated_at
            ) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12, NULL, ?13, ?14, ?15, ?16, ?16)
            """,
            [
                .text(uid),
                .text(new.name),
                .text(new.platform),
                SQLiteValue(new.baseURL),
                .text(new.repository),
                .text(new.branch),
                .text(new.folder),
                .text(new.credentialKind),
                .blob(sealed),
                SQLiteValue(new.account),
                SQLiteValue(new.expiresAt),
                .text(try JSONColumn.encode(new.scopes)),
                .text(new.state.rawValue),
                .text(new.stateDetail),
                checkedAt,
                .real(now.timeIntervalSince1970),
            ]
        )

        let id = database.lastInsertRowID
        if new.state != .unknown {
            try insertTransition(
                integrationID: id, from: .unknown, to: new.state, detail: new.stateDetail, credentialVersion: 1, at: now
            )
        }
        return try requireIntegration(id: id)
    }

    /// Changes the details of an integration. A nil argument leaves that detail as it is.
    ///
    /// `baseURL` and `platformProjectID` are nullable columns: pass `.some(nil)` to clear them.
    ///
    /// - Throws: `.notFound` for an unknown id, `.alreadyExists` when the new name is taken,
    ///   `.invalidValue` for an empty name, repository or branch.
    @discardableResult
    public func updateDetails(
        id: Int64,
        name: String? = nil,
        repository: String? = nil,
        branch: String? = nil,
        folder: String? = nil,
        baseURL: String?? = nil,
        platformProjectID: String?? = nil,
        at now: Date = Date()
    ) throws -> IntegrationRecord {
        let current = try requireIntegration(id: id)
        if let name {
            try Validation.requireText(name, "integration name")
            if name != current.name, try integration(named: name) != nil {
                throw StoreError(
                    .alreadyExists,
                    "cannot rename integration '\(current.name)' to '\(name)': an integration with that name "
                        + "already exists; pick another name"
                )
            }
        }
        if let repository { try Validation.requireText(repository, "repository of integration '\(current.name)'") }
        if let branch { try Validation.requireText(branch, "branch of integration '\(current.name)'") }

        try database().run(
            """
            UPDATE integrations SET name = ?1, repository = ?2, branch = ?3, folder = ?4, base_url = ?5,
                platform_project_id = ?6, updated_at = ?7
            WHERE id = ?8
            """,
            [
                .text(name ?? current.name),
                .text(repository ?? current.repository),
                .text(branch ?? current.branch),
                .text(folder ?? current.folder),
                SQLiteValue(baseURL ?? current.baseURL),
                SQLiteValue(platformProjectID ?? current.platformProjectID),
                .real(now.timeIntervalSince1970),
                .integer(id),
            ]
        )
        return try requireIntegration(id: id)
    }

    /// Replaces the token and what is known about it, and returns the new credential version.
    ///
    /// The state becomes `unknown` (with a transition when it was something else) because no check of the
    /// new token has been recorded yet. Record the new token's state with the returned version.
    ///
    /// - Throws: `.notFound` for an unknown id, `.invalidValue` for an empty token.
    @discardableResult
    public func replaceToken(
        id: Int64,
        token: Secret,
        credentialKind: String,
        account: String?,
        expiresAt: Date?,
        scopes: [String],
        at now: Date = Date()
    ) throws -> Int64 {
        let current = try requireIntegration(id: id)
        try requireToken(token, integration: current.name)

        let version = current.credentialVersion + 1
        let detail = "the token was replaced and has not been checked yet"
        try database().run(
            """
            UPDATE integrations SET sealed_token = ?1, credential_kind = ?2, credential_version = ?3, account = ?4,
                expires_at = ?5, scopes = ?6, state = ?7, state_detail = ?8, state_checked_at = NULL, updated_at = ?9
            WHERE id = ?10
            """,
            [
                .blob(try seal(token, uid: current.uid)),
                .text(credentialKind),
                .integer(version),
                SQLiteValue(account),
                SQLiteValue(expiresAt),
                .text(try JSONColumn.encode(scopes)),
                .text(IntegrationState.unknown.rawValue),
                .text(detail),
                .real(now.timeIntervalSince1970),
                .integer(id),
            ]
        )

        if current.state != .unknown {
            try insertTransition(
                integrationID: id, from: current.state, to: .unknown, detail: detail, credentialVersion: version,
                at: now
            )
        }
        return version
    }

    /// Records the state a check of credential version `credentialVersion` found, with a transition
    /// when the state changes.
    ///
    /// - Returns: false, changing nothing, when `credentialVersion` is older than the stored one: the
    ///   result is for a token that was replaced while the check ran.
    /// - Throws: `.notFound` for an unknown id, `.invalidValue` for a version newer than the stored one.
    @discardableResult
    public func recordState(
        id: Int64,
        state: IntegrationState,
        detail: String,
        credentialVersion: Int64,
        at now: Date = Date()
    ) throws -> Bool {
        let current = try requireIntegration(id: id)
        if credentialVersion < current.credentialVersion {
            return false
        }
        guard credentialVersion == current.credentialVersion else {
            throw StoreError(
                .invalidValue,
                "credential version \(credentialVersion) for integration '\(current.name)' is newer than the "
                    + "stored version \(current.credentialVersion); pass the version of a record read from the store"
            )
        }

        try database().run(
            "UPDATE integrations SET state = ?1, state_detail = ?2, state_checked_at = ?3 WHERE id = ?4",
            [.text(state.rawValue), .text(detail), .real(now.timeIntervalSince1970), .integer(id)]
        )
        if state != current.state {
            try insertTransition(
                integrationID: id, from: current.state, to: state, detail: detail, credentialVersion: credentialVersion,
                at: now
            )
        }
        return true
    }

    /// Deletes an integration with its sealed token, transitions, syncs and synced blob ids. Targets that
    /// synced through it keep existing without a selected integration.
    ///
    /// - Throws: `.notFound` for an unknown id.
    public func deleteIntegration(id: Int64) throws {
        _ = try requireIntegration(id: id)
        try database().run("DELETE FROM integrations WHERE id = ?1", [.integer(id)])
    }

    /// Opens every sealed token with the current key and seals it again with `newKey`, then replaces the
    /// key check. Runs inside the caller's transaction.
    func resealTokens(with newKey: SealingKey) throws {
        let database = try database()
        try KeyCheck.verify(database, key: key)

        let rows = try database.query("SELECT id, uid, name, sealed_token FROM integrations ORDER BY id") { row in
            (id: row.integer(0), uid: row.text(1), name: row.text(2), sealed: row.blob(3))
        }
        for row in rows {
            let associatedData = TokenSealing.associatedData(integrationUID: row.uid)
            guard let token = try TokenSealing.open(row.sealed, associatedData: associatedData, key: key) else {
                throw StoreError(
                    .corruptData,
                    "the sealed token of integration '\(row.name)' does not open with the current key, so the key "
                        + "was not rotated; replace the token of '\(row.name)' or delete the integration, then "
                        + "rotate again"
                )
            }
            let resealed = try TokenSealing.seal(token, associatedData: associatedData, key: newKey)
            try database.run(
                "UPDATE integrations SET sealed_token = ?1 WHERE id = ?2",
                [.blob(resealed), .integer(row.id)]
            )
        }
        try KeyCheck.replace(database, key: newKey)
    }

    // MARK: - Helpers

    func requireIntegration(id: Int64) throws -> IntegrationRecord {
        guard let record = try integration(id: id) else {
            throw StoreError(
                .notFound,
                "integration \(id) does not exist; it may have been deleted, so list the integrations again"
            )
        }
        return record
    }

    private func requireToken(_ token: Secret, integration name: String) throws {
        guard !token.isEmpty else {
            throw StoreError(.invalidValue, "the token for integration '\(name)' is empty; give the access token")
        }
    }

    private func seal(_ token: Secret, uid: String) throws -> [UInt8] {
        try TokenSealing.seal(
            token.revealedBytes(),
            associatedData: TokenSealing.associatedData(integrationUID: uid),
            key: key
        )
    }

    private func insertTransition(
        integrationID: Int64,
        from: IntegrationState,
        to: IntegrationState,
        detail: String,
        credentialVersion: Int64,
        at now: Date
    ) throws {
        try database().run(
            """
            INSERT INTO state_transitions (integration_id, from_state, to_state, detail, credential_version, at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """,
            [
                .integer(integrationID),
                .text(from.rawValue),
                .text(to.rawValue),
                .text(detail),
                .integer(credentialVersion),
                .real(now.timeIntervalSince1970),
            ]
        )
    }
}

extension SQLiteValue {
    init(_ text: String?) {
        self = text.map { .text($0) } ?? .null
    }

    init(_ date: Date?) {
        self = date.map { .real($0.timeIntervalSince1970) } ?? .null
    }
}
