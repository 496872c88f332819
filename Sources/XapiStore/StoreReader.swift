public import XapiCore

/// Reads the store inside one transaction of `Store.read` or `Store.write`.
///
/// A reader is valid only while the body that received it runs; using it afterwards throws `.misuse`.
public class StoreReader {
    let connection: SQLiteConnection
    let key: SealingKey
    private var isActive = true

    init(connection: SQLiteConnection, key: SealingKey) {
        self.connection = connection
        self.key = key
    }

    /// Ends the reader's validity when its transaction ends.
    func end() {
        isActive = false
    }

    /// Returns the connection while the transaction runs, and throws `.misuse` after it ended.
    func database() throws -> SQLiteConnection {
        guard isActive else {
            throw StoreError(
                .misuse,
                "a store reader or writer was used after its transaction ended; keep it inside the body of "
                    + "Store.read or Store.write"
            )
        }
        return connection
    }

    // MARK: - Organization and members

    /// Returns whether the organization was created with `StoreWriter.initialize(owner:)`.
    public func isInitialized() throws -> Bool {
        try database().queryFirst("SELECT 1 FROM org WHERE id = 1") { _ in true } ?? false
    }

    public func member(_ login: String) throws -> MemberRecord? {
        try database().queryFirst(
            "SELECT \(MemberRecord.columns) FROM members WHERE login = ?1",
            [.text(login)],
            MemberRecord.init(row:)
        )
    }

    /// Returns all members, by login.
    public func members() throws -> [MemberRecord] {
        try database().query("SELECT \(MemberRecord.columns) FROM members ORDER BY login", [], MemberRecord.init(row:))
    }

    // MARK: - Integrations

    public func integration(named name: String) throws -> IntegrationRecord? {
        try database().queryFirst(
            "SELECT \(IntegrationRecord.columns) FROM integrations WHERE name = ?1",
            [.text(name)],
            IntegrationRecord.init(row:)
        )
    }

    public func integration(id: Int64) throws -> IntegrationRecord? {
        try database().queryFirst(
            "SELECT \(IntegrationRecord.columns) FROM integrations WHERE id = ?1",
            [.integer(id)],
            IntegrationRecord.init(row:)
        )
    }

    /// Returns all integrations, by name.
    public func integrations() throws -> [IntegrationRecord] {
        try database().query(
            "SELECT \(IntegrationRecord.columns) FROM integrations ORDER BY name",
            [],
            IntegrationRecord.init(row:)
        )
    }

    /// Unseals the current token of `record`'s integration.
    ///
    /// The token is the one stored now. It is newer than `record` when the token was replaced after
    /// `record` was read, so read the record and the token in the same transaction to get a matching pair.
    ///
    /// - Throws: `.notFound` when the integration was deleted, `.keyMismatch` when the store's key changed
    ///   (another process rotated it), `.corruptData` when the sealed bytes were altered or copied from
    ///   another integration.
    public func token(for record: IntegrationRecord) throws -> Secret {
        let database = try database()
        let stored = try database.queryFirst(
            "SELECT uid, sealed_token FROM integrations WHERE id = ?1",
            [.integer(record.id)]
        ) { row in (uid: row.text(0), sealed: row.blob(1)) }
        guard let stored, stored.uid == record.uid else {
            throw StoreError(
                .notFound,
                "integration '\(record.name)' no longer exists; it was deleted after it was read"
            )
        }

        let associatedData = TokenSealing.associatedData(integrationUID: stored.uid)
        guard let token = try TokenSealing.open(stored.sealed, associatedData: associatedData, key: key) else {
            // A key that opened the store can stop matching when another process rotates the key.
            try KeyCheck.verify(database, key: key)
            throw StoreError(
                .corruptData,
                "the sealed token of integration '\(record.name)' does not open with the store's key, so the row "
                    + "was changed outside xapi-git or copied from another integration; replace the token of "
                    + "'\(record.name)'"
            )
        }
        return Secret(bytes: token)
    }

    /// Returns the changes of an integration's state, oldest first.
    public func transitions(integrationID: Int64) throws -> [StateTransition] {
        try database().query(
            "SELECT \(StateTransition.columns) FROM state_transitions WHERE integration_id = ?1 ORDER BY id",
            [.integer(integrationID)],
            StateTransition.init(row:)
        )
    }

    // MARK: - Targets and syncs

    /// Returns the target of `kind` (`api` or `model`) named `name`.
    public func target(kind: String, name: String) throws -> TargetRecord? {
        try database().queryFirst(
            "SELECT \(TargetRecord.columns) FROM targets WHERE kind = ?1 AND name = ?2",
            [.text(kind), .text(name)],
            TargetRecord.init(row:)
        )
    }

    public func target(id: Int64) throws -> TargetRecord? {
        try database().queryFirst(
            "SELECT \(TargetRecord.columns) FROM targets WHERE id = ?1",
            [.integer(id)],
            TargetRecord.init(row:)
        )
    }

    /// Returns the targets of `kind` by name, or all targets by kind and name when `kind` is nil.
    public func targets(kind: String? = nil) throws -> [TargetRecord] {
        guard let kind else {
            return try database().query(
                "SELECT \(TargetRecord.columns) FROM targets ORDER BY kind, name",
                [],
                TargetRecord.init(row:)
            )
        }
        return try database().query(
            "SELECT \(TargetRecord.columns) FROM targets WHERE kind = ?1 ORDER BY name",
            [.text(kind)],
            TargetRecord.init(row:)
        )
    }

    /// Returns the targets that sync through the integration `integrationID`, by kind and name.
    public func targets(integrationID: Int64) throws -> [TargetRecord] {
        try database().query(
            "SELECT \(TargetRecord.columns) FROM targets WHERE integration_id = ?1 ORDER BY kind, name",
            [.integer(integrationID)],
            TargetRecord.init(row:)
        )
    }

    /// Returns the newest sync of a target, or nil before its first sync.
    public func lastSync(targetID: Int64) throws -> SyncRecord? {
        try database().queryFirst(
            "SELECT \(SyncRecord.columns) FROM syncs WHERE target_id = ?1 ORDER BY at DESC, id DESC LIMIT 1",
            [.integer(targetID)],
            SyncRecord.init(row:)
        )
    }

    /// Returns the newest `limit` syncs of a target, newest first.
    public func syncs(targetID: Int64, limit: Int) throws -> [SyncRecord] {
        try database().query(
            "SELECT \(SyncRecord.columns) FROM syncs WHERE target_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
            [.integer(targetID), .integer(Int64(try Self.validLimit(limit)))],
            SyncRecord.init(row:)
        )
    }

    /// Returns the Git blob id last written to each path through an integration, keyed by path.
    public func syncedBlobs(integrationID: Int64) throws -> [String: String] {
        let pairs = try database().query(
            "SELECT path, blob_id FROM synced_blobs WHERE integration_id = ?1",
            [.integer(integrationID)]
        ) { row in (row.text(0), row.text(1)) }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    // MARK: - Audit

    /// Returns the newest `limit` audit entries, newest first (by time, then by insertion order).
    public func auditEntries(limit: Int) throws -> [AuditEntry] {
        try database().query(
            "SELECT \(AuditEntry.columns) FROM audit ORDER BY at DESC, id DESC LIMIT ?1",
            [.integer(Int64(try Self.validLimit(limit)))],
            AuditEntry.init(row:)
        )
    }

    private static func validLimit(_ limit: Int) throws -> Int {
        guard limit >= 0 else {
            throw StoreError(.invalidValue, "the limit \(limit) is negative; pass 0 or more entries")
        }
        return limit
    }
}
