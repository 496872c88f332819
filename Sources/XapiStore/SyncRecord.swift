public import Foundation

/// A file written by a sync and the Git blob id of the content written.
public struct SyncedFile: Sendable, Equatable, Codable {
    /// The path inside the repository.
    public var path: String
    /// The Git blob id (hex) of the content pushed.
    public var blob: String

    public init(path: String, blob: String) {
        self.path = path
        self.blob = blob
    }
}

/// One sync of a target through an integration.
public struct SyncRecord: Sendable, Equatable {
    public let id: Int64
    public let targetID: Int64
    public let integrationID: Int64
    /// The commit pushed, or nil when the files were unchanged and nothing was pushed.
    public let commitID: String?
    public let files: [SyncedFile]
    public let actor: String
    public let at: Date
}

extension SyncRecord {
    static let columns = "id, target_id, integration_id, commit_id, files, actor, at"

    init(row: SQLiteRow) throws {
        let id = row.integer(0)
        self.init(
            id: id,
            targetID: row.integer(1),
            integrationID: row.integer(2),
            commitID: row.optionalText(3),
            files: try JSONColumn.decode([SyncedFile].self, from: row.text(4), what: "the files of sync \(id)"),
            actor: row.text(5),
            at: Date(timeIntervalSince1970: row.real(6))
        )
    }
}
