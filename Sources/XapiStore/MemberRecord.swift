public import Foundation

/// A member of the organization and the role that decides what the member may do.
public struct MemberRecord: Sendable, Equatable {
    public let login: String
    /// One of `MemberRecord.roles`. The orchestrator gives the roles their meaning.
    public let role: String
    public let addedAt: Date

    /// The roles a member can have, from most to least privileged.
    public static let roles = ["owner", "admin", "reviewer", "editor", "viewer"]

    /// The role that administers the organization. The last member with it cannot be removed or demoted.
    public static let ownerRole = "owner"
}

extension MemberRecord {
    static let columns = "login, role, added_at"

    init(row: SQLiteRow) {
        self.init(login: row.text(0), role: row.text(1), addedAt: Date(timeIntervalSince1970: row.real(2)))
    }
}
