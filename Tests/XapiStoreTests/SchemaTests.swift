import Foundation
import Testing

@testable import XapiStore

@Suite struct SchemaTests {
    let key: SealingKey

    init() throws {
        key = try SealingKey.generate()
    }

    @Test func migratesEmptyFileToLatestVersion() throws {
        try withTemporaryHome { home in
            _ = try Store.open(home: home.path, key: key)

            let connection = try rawConnection(home)
            #expect(try Schema.userVersion(connection) == Schema.migrations.last?.version)

            let tables = Set(try connection.query("SELECT name FROM sqlite_master WHERE type = 'table'") { $0.text(0) })
            let expected: Set<String> = [
                "org", "members", "integrations", "state_transitions", "targets", "syncs", "synced_blobs", "audit",
                "store_meta",
            ]
            #expect(expected.isSubset(of: tables))

            let journalMode = try connection.queryFirst("PRAGMA journal_mode") { $0.text(0) }
            #expect(journalMode == "wal")
        }
    }

    @Test func storeUsesForeignKeysAndBusyTimeout() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let settings = try store.read { reader in
                (
                    foreignKeys: try reader.connection.queryFirst("PRAGMA foreign_keys") { $0.integer(0) },
                    busyTimeout: try reader.connection.queryFirst("PRAGMA busy_timeout") { $0.integer(0) }
                )
            }
            #expect(settings.foreignKeys == 1)
            #expect(settings.busyTimeout == 5000)
        }
    }

    @Test func createsPrivateHomeAndStoreFile() throws {
        try withTemporaryHome { parent in
            let home = parent.file("nested/home")
            let store = try Store.open(home: home, key: key)
            try store.write { try $0.initialize(owner: "alice") }

            #expect(try permissions(of: home) == 0o700)
            #expect(try permissions(of: store.path) == 0o600)
            #expect(try permissions(of: store.path + "-wal") == 0o600)
        }
    }

    @Test func reopenKeepsData() throws {
        try withTemporaryHome { home in
            let token = uniqueToken()
            do {
                let store = try Store.open(home: home.path, key: key)
                try store.write { writer in
                    try writer.initialize(owner: "alice")
                    try writer.insertIntegration(newIntegration("docs", token: token))
                }
            }

            let reopened = try Store.open(home: home.path, key: key)
            let (owner, record, storedToken) = try reopened.read { reader in
                let record = try #require(try reader.integration(named: "docs"))
                return (try reader.member("alice"), record, try reader.token(for: record))
            }
            #expect(owner?.role == "owner")
            #expect(record.repository == "acme/docs")
            #expect(storedToken == token)
        }
    }

    @Test func rejectsNewerSchemaVersion() throws {
        try withTemporaryHome { home in
            _ = try Store.open(home: home.path, key: key)
            try rawConnection(home).execute("PRAGMA user_version = 99")

            let error = #expect(throws: StoreError.self) {
                _ = try Store.open(home: home.path, key: key)
            }
            #expect(error?.kind == .newerSchema)
            #expect(error?.message.contains("upgrade xapi-git") == true)
            #expect(error?.message.contains("99") == true)
        }
    }

    @Test func appliesPendingMigrationsInOrder() throws {
        try withTemporaryHome { home in
            let connection = try rawConnection(home)
            let first = Migration(version: 1, sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);")
            let second = Migration(version: 2, sql: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT '';")

            try Schema.migrate(connection, migrations: [first])
            try connection.run("INSERT INTO notes (text) VALUES ('kept')")
            #expect(try Schema.userVersion(connection) == 1)

            // An older file (version 1) gets only the migration it lacks; the first one is not run again.
            try Schema.migrate(connection, migrations: [first, second])
            #expect(try Schema.userVersion(connection) == 2)
            let row = try connection.queryFirst("SELECT text, author FROM notes") { ($0.text(0), $0.text(1)) }
            #expect(row?.0 == "kept")
            #expect(row?.1 == "")
        }
    }

    @Test func failedMigrationRollsBackOnlyItself() throws {
        try withTemporaryHome { home in
            let connection = try rawConnection(home)
            let migrations = [
                Migration(version: 1, sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY);"),
                Migration(version: 2, sql: "CREATE TABLE tags (id INTEGER PRIMARY KEY); CREATE TABLE broken (;"),
            ]

            let error = #expect(throws: StoreError.self) {
                try Schema.migrate(connection, migrations: migrations)
            }
            #expect(error?.kind == .sqlite)
            #expect(try Schema.userVersion(connection) == 1)

            let tables = try connection.query("SELECT name FROM sqlite_master WHERE type = 'table'") { $0.text(0) }
            #expect(tables.contains("notes"))
            #expect(!tables.contains("tags"))
        }
    }
}
