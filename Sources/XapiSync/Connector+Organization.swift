import Foundation
import XapiCore
public import XapiStore

extension Connector {
    /// Creates the organization with `owner` as its first owner. Runs once per home.
    public func initializeOrganization(owner: String) async throws {
        try Member.validateLogin(owner)
        try await write { writer in
            if try writer.isInitialized() {
                throw ConnectorError(.alreadyExists, "this home already has an organization; `xapi-git member list` shows its members")
            }
            try writer.initialize(owner: owner)
            try writer.appendAudit(actor: owner, action: "org.init", subject: owner, before: nil, after: ["owner": owner])
        }
    }

    /// Adds `login` with `role`.
    public func addMember(_ login: String, role: Role, as actor: String) async throws {
        try Member.validateLogin(login)
        try await write { writer in
            try self.authorize(actor, for: .manageMembers, in: writer)
            try self.requireOwnerForOwnership(actor, granting: role, in: writer)
            try writer.addMember(login: login, role: role.rawValue)
            try writer.appendAudit(actor: actor, action: "member.add", subject: login, before: nil, after: ["role": role.rawValue])
        }
    }

    /// Changes the role of `login`. The last owner cannot be demoted.
    public func setRole(of login: String, to role: Role, as actor: String) async throws {
        try await write { writer in
            try self.authorize(actor, for: .manageMembers, in: writer)
            guard let member = try writer.member(login) else {
                throw ConnectorError(.notFound, "'\(login)' is not a member; `xapi-git member list` shows the members")
            }
            try self.requireOwnerForOwnership(actor, granting: role, in: writer)
            if member.role == Role.owner.rawValue {
                try self.requireOwnerForOwnership(actor, granting: .owner, in: writer)
            }
            try writer.setRole(login: login, role: role.rawValue)
            try writer.appendAudit(
                actor: actor,
                action: "member.set-role",
                subject: login,
                before: ["role": member.role],
                after: ["role": role.rawValue]
            )
        }
    }

    /// Removes `login`. The last owner cannot be removed.
    public func removeMember(_ login: String, as actor: String) async throws {
        try await write { writer in
            try self.authorize(actor, for: .manageMembers, in: writer)
            guard let member = try writer.member(login) else {
                throw ConnectorError(.notFound, "'\(login)' is not a member; `xapi-git member list` shows the members")
            }
            if member.role == Role.owner.rawValue {
                try self.requireOwnerForOwnership(actor, granting: .owner, in: writer)
            }
            try writer.removeMember(login: login)
            try writer.appendAudit(actor: actor, action: "member.remove", subject: login, before: ["role": member.role], after: nil)
        }
    }

    /// Returns all members with their roles.
    public func members(as actor: String) async throws -> [MemberRecord] {
        try await read { reader in
            try self.authorize(actor, for: .read, in: reader)
            return try reader.members()
        }
    }

    /// Returns the newest `limit` audit entries, newest first.
    public func auditEntries(limit: Int, as actor: String) async throws -> [AuditEntry] {
        try await read { reader in
            try self.authorize(actor, for: .read, in: reader)
            return try reader.auditEntries(limit: limit)
        }
    }
}

extension Connector {
    /// Throws unless `actor` is an owner when the change grants or takes away the owner role, so that an
    /// admin, who may manage members, cannot make itself or anyone else an owner or demote an owner.
    func requireOwnerForOwnership(_ actor: String, granting role: Role, in reader: StoreReader) throws {
        guard role == .owner else { return }
        guard try reader.member(actor)?.role == Role.owner.rawValue else {
            throw ConnectorError(
                .permissionDenied,
                "\(actor) may not grant or take away the owner role; only owners may"
            )
        }
    }
}

/// Rules for member logins.
enum Member {
    static func validateLogin(_ login: String) throws {
        let valid = (1...64).contains(login.count)
            && login.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-@".unicodeScalars.contains(scalar))
            }
        guard valid else {
            throw ConnectorError(.invalidInput, "'\(login)' is not a valid login; use 1 to 64 letters, digits, '.', '_', '-' or '@'")
        }
    }
}
