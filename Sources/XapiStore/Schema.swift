/// One step of the store's schema, identified by the `PRAGMA user_version` it leads to.
struct Migration: Sendable {
    let version: Int32
    let sql: String
}

/// The store's schema as an ordered list of migrations, and the code that applies them.
enum Schema {
    static let migrations: [Migration] = [
        Migration(version: 1, sql: version1)
    ]

    /// Brings the database up to the last of `migrations`, each migration in its own transaction.
    ///
    /// The version is read again inside each transaction, so two processes that open a new store at the
    /// same time apply every migration once: the second waits for the first and then skips it.
    ///
    /// - Throws: `StoreError` `.newerSchema` when the file's version is newer than the last migration.
    static func migrate(_ connection: SQLiteConnection, migrations: [Migration] = migrations) throws {
        let versions = migrations.map(\.version)
        precondition(
            versions.first.map { $0 >= 1 } ?? true && zip(versions, versions.dropFirst()).allSatisfy { $0 < $1 },
            "migration versions must start at 1 or above and increase"
        )
        let latest = versions.last ?? 0

        try rejectNewer(try userVersion(connection), latest: latest, path: connection.path)
        for migration in migrations {
            try connection.transaction(immediate: true) {
                let current = try userVersion(connection)
                try rejectNewer(current, latest: latest, path: connection.path)
                guard current < migration.version else { return }

                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }

    static func userVersion(_ connection: SQLiteConnection) throws -> Int32 {
        let version = try connection.queryFirst("PRAGMA user_version") { Int32(truncatingIfNeeded: $0.integer(0)) }
        return version ?? 0
    }

    private static func rejectNewer(_ version: Int32, latest: Int32, path: String) throws {
        guard version > latest else { return }
        throw StoreError(
            .newerSchema,
            "the store \(path) has schema version \(version), but this xapi-git reads versions up to \(latest); "
                + "upgrade xapi-git to the version that wrote the store"
        )
    }

    /// The first schema. Integrations and targets use AUTOINCREMENT so that the id of a deleted row is
    /// never reused, because a state result computed for a deleted integration must not land on a new one.
    private static let version1 = """
        CREATE TABLE org (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            created_at REAL NOT NULL
        );

        CREATE TABLE members (
            login TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'reviewer', 'editor', 'viewer')),
            added_at REAL NOT NULL
        );

        CREATE TABLE integrations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE,
            platform TEXT NOT NULL,
            base_url TEXT,
            repository TEXT NOT NULL,
            branch TEXT NOT NULL,
            folder TEXT NOT NULL,
            credential_kind TEXT NOT NULL,
            sealed_token BLOB NOT NULL,
            credential_version INTEGER NOT NULL DEFAULT 1,
            account TEXT,
            expires_at REAL,
            scopes TEXT NOT NULL DEFAULT '[]',
            platform_project_id TEXT,
            state TEXT NOT NULL
                CHECK (state IN ('active', 'expiring', 'expired', 'needs-attention', 'unknown')),
            state_detail TEXT NOT NULL DEFAULT '',
            state_checked_at REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );

        CREATE TABLE state_transitions (
            id INTEGER PRIMARY KEY,
            integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
            from_state TEXT NOT NULL,
            to_state TEXT NOT NULL,
            detail TEXT NOT NULL,
            credential_version INTEGER NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX state_transitions_by_integration ON state_transitions(integration_id, id);

        CREATE TABLE targets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('api', 'model')),
            name TEXT NOT NULL,
            integration_id INTEGER REFERENCES integrations(id) ON DELETE SET NULL,
            UNIQUE (kind, name)
        );
        CREATE INDEX targets_by_integration ON targets(integration_id);

        CREATE TABLE syncs (
            id INTEGER PRIMARY KEY,
            target_id INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
            integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
            commit_id TEXT,
            files TEXT NOT NULL,
            actor TEXT NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX syncs_by_target ON syncs(target_id, at, id);
        CREATE INDEX syncs_by_integration ON syncs(integration_id);

        CREATE TABLE synced_blobs (
            integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            blob_id TEXT NOT NULL,
            PRIMARY KEY (integration_id, path)
        );

        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            before TEXT,
            after TEXT
        );
        CREATE INDEX audit_by_time ON audit(at, id);

        CREATE TABLE store_meta (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL
        );
        """
}
