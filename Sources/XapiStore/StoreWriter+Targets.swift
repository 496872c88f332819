public import Foundation

extension StoreWriter {
    /// Adds an API version (`kind` "api", name `PROJECT/API@VERSION`) or a model (`kind` "model", name
    /// `PROJECT/MODEL`) with no integration selected.
    ///
    /// - Throws: `.alreadyExists` when a target of that kind and name exists, `.invalidValue` for an
    ///   unknown kind or an empty name.
    @discardableResult
    public func addTarget(kind: String, name: String) throws -> TargetRecord {
        guard TargetRecord.kinds.contains(kind) else {
            throw StoreError(
                .invalidValue,
                "'\(kind)' is not a target kind (target '\(name)'); use one of "
                    + TargetRecord.kinds.joined(separator: ", ")
            )
        }
        try Validation.requireText(name, "\(kind) name")
        if try target(kind: kind, name: name) != nil {
            throw StoreError(.alreadyExists, "\(kind) '\(name)' already exists; pick another name")
        }

        let database = try database()
        try database.run("INSERT INTO targets (kind, name) VALUES (?1, ?2)", [.text(kind), .text(name)])
        return try requireTarget(id: database.lastInsertRowID)
    }

    /// Makes `integrationID` the integration a target syncs to; nil leaves the target without one.
    ///
    /// - Throws: `.notFound` for an unknown target or integration.
    public func selectIntegration(targetID: Int64, integrationID: Int64?) throws {
        _ = try requireTarget(id: targetID)
        if let integrationID {
            _ = try requireIntegration(id: integrationID)
        }
        try database().run(
            "UPDATE targets SET integration_id = ?1 WHERE id = ?2",
            [integrationID.map { .integer($0) } ?? .null, .integer(targetID)]
        )
    }

    /// Records a sync of a target through an integration. `commit` nil means the files were unchanged
    /// and nothing was pushed.
    ///
    /// - Throws: `.notFound` for an unknown target or integration.
    @discardableResult
    public func recordSync(
        targetID: Int64,
        integrationID: Int64,
        commit: String?,
        files: [SyncedFile],
        actor: String,
        at now: Date = Date()
    ) throws -> SyncRecord {
        _ = try requireTarget(id: targetID)
        _ = try requireIntegration(id: integrationID)

        let database = try database()
        try database.run(
            """
            INSERT INTO syncs (target_id, integration_id, commit_id, files, actor, at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """,
            [
                .integer(targetID),
                .integer(integrationID),
                SQLiteValue(commit),
                .text(try JSONColumn.encode(files)),
                .text(actor),
                .real(now.timeIntervalSince1970),
            ]
        )

        let id = database.lastInsertRowID
        guard
            let sync = try database.queryFirst(
                "SELECT \(SyncRecord.columns) FROM syncs WHERE id = ?1",
                [.integer(id)],
                SyncRecord.init(row:)
            )
        else {
            throw StoreError(.sqlite, "sync \(id) was not found right after it was inserted")
        }
        return sync
    }

    /// Stores the Git blob id last written to each given path through an integration. Paths not in
    /// `blobs` keep their stored blob id.
    ///
    /// - Throws: `.notFound` for an unknown integration.
    public func setSyncedBlobs(integrationID: Int64, _ blobs: [String: String]) throws {
        _ = try requireIntegration(id: integrationID)
        let database = try database()
        for path in blobs.keys.sorted() {
            try database.run(
                """
                INSERT INTO synced_blobs (integration_id, path, blob_id) VALUES (?1, ?2, ?3)
                ON CONFLICT (integration_id, path) DO UPDATE SET blob_id = excluded.blob_id
                """,
                [.integer(integrationID), .text(path), .text(blobs[path] ?? "")]
            )
        }
    }

    private func requireTarget(id: Int64) throws -> TargetRecord {
        guard let target = try target(id: id) else {
            throw StoreError(
                .notFound, "target \(id) does not exist; it may have been removed, so list the targets again")
        }
        return target
    }
}
