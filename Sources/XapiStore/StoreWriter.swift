public import Foundation

/// Reads and changes the store inside one transaction of `Store.write`.
///
/// Every change made through a writer commits together when the body returns, or none does when the
/// body throws. A writer is valid only while that body runs.
public final class StoreWriter: StoreReader {
    // MARK: - Organization and members

    /// Creates the organization with `owner` as its first member, with the role `owner`.
    ///
    /// - Throws: `.alreadyExists` when the organization exists already.
    public func initialize(owner: String, at now: Date = Date()) throws {
        guard try !isInitialized() else {
            throw StoreError(
                .alreadyExists,
                "the organization of this store exists already; add '\(owner)' as a member instead"
            )
        }
        try database().run("INSERT INTO org (id, created_at) VALUES (1, ?1)", [.real(now.timeIntervalSince1970)])
        try addMember(login: owner, role: MemberRecord.ownerRole, at: now)
    }

    /// Adds a member with `role`, one of `MemberRecord.roles`.
    ///
    /// - Throws: `.alreadyExists` for a login that is a member already, `.invalidValue` for an empty
    ///   login or an unknown role.
    public func addMember(login: String, role: String, at now: Date = Date()) throws {
        try Validation.requireText(login, "member login")
        try Validation.requireRole(role, login: login)
        if let existing = try member(login) {
            throw StoreError(
                .alreadyExists,
                "member '\(login)' already exists with the role \(existing.role); change the role instead"
            )
        }
        try database().run(
            "INSERT INTO members (login, role, added_at) VALUES (?1, ?2, ?3)",
            [.text(login), .text(role), .real(now.timeIntervalSince1970)]
        )
    }

    /// Changes the role of a member.
    ///
    /// - Throws: `.notFound` for a login that is not a member, `.constraint` when the change would leave
    ///   the organization without an owner.
    public func setRole(login: String, role: String) throws {
        try Validation.requireRole(role, login: login)
        let current = try requireMember(login)
        if current.role == MemberRecord.ownerRole, role != MemberRecord.ownerRole, try ownerCount() == 1 {
            throw StoreError(
                .constraint,
                "'\(login)' is the last owner and cannot become \(role); make another member an owner first"
            )
        }
        try database().run("UPDATE members SET role = ?1 WHERE login = ?2", [.text(role), .text(login)])
    }

    /// Removes a member.
    ///
    /// - Throws: `.notFound` for a login that is not a member, `.constraint` for the last owner.
    public func removeMember(login: String) throws {
        let current = try requireMember(login)
        if current.role == MemberRecord.ownerRole, try ownerCount() == 1 {
            throw StoreError(
                .constraint,
                "'\(login)' is the last owner and cannot be removed; make another member an owner first"
            )
        }
        try database().run("DELETE FROM members WHERE login = ?1", [.text(login)])
    }

    private func requireMember(_ login: String) throws -> MemberRecord {
        guard let member = try member(login) else {
            throw StoreError(.notFound, "'\(login)' is not a member; list the members to check the login")
        }
        return member
    }

    private func ownerCount() throws -> Int64 {
        try database().queryFirst(
            "SELECT COUNT(*) FROM members WHERE role = ?1",
            [.text(MemberRecord.ownerRole)]
        ) { $0.integer(0) } ?? 0
    }

    // MARK: - Audit

    /// Appends an entry to the audit log. `before` and `after` hold plain values, never a token.
    @discardableResult
    public func appendAudit(
        actor: String,
        action: String,
        subject: String,
        before: [String: String]?,
        after: [String: String]?,
        at now: Date = Date()
    ) throws -> AuditEntry {
        let database = try database()
        try database.run(
            "INSERT INTO audit (at, actor, action, subject, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            [
                .real(now.timeIntervalSince1970),
                .text(actor),
                .text(action),
                .text(subject),
                try before.map { .text(try JSONColumn.encode($0)) } ?? .null,
                try after.map { .text(try JSONColumn.encode($0)) } ?? .null,
            ]
        )

        let id = database.lastInsertRowID
        guard
            let entry = try database.queryFirst(
                "SELECT \(AuditEntry.columns) FROM audit WHERE id = ?1",
                [.integer(id)],
                AuditEntry.init(row:)
            )
        else {
            throw StoreError(.sqlite, "audit entry \(id) was not found right after it was inserted")
        }
        return entry
    }
}

/// Checks of caller-given values, with messages that name the value.
enum Validation {
    static func requireText(_ value: String, _ what: String) throws {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw StoreError(.invalidValue, "the \(what) is empty; give a non-empty \(what)")
        }
    }

    static func requireRole(_ role: String, login: String) throws {
        guard MemberRecord.roles.contains(role) else {
            throw StoreError(
                .invalidValue,
                "'\(role)' is not a role (member '\(login)'); use one of "
                    + MemberRecord.roles.joined(separator: ", ")
            )
        }
    }
}
