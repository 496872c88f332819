import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

/// One connector operation that needs a role, called so that it stops before any network request once the
/// permission check passes: it names something missing, or an invalid value checked after the role.
enum GuardedOperation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case addIntegration = "integration add"
    case editIntegration = "integration edit"
    case reconnectIntegration = "integration reconnect"
    case removeIntegration = "integration remove"
    case switchIntegration = "api switch"
    case sync = "sync"
    case addMember = "member add"
    case setRole = "member set-role"
    case removeMember = "member remove"
    case addTarget = "api add"
    case listIntegrations = "integration list"
    case showHistory = "integration show --history"
    case readAudit = "audit"

    var testDescription: String { rawValue }

    /// The action whose roles decide whether the operation is allowed.
    var action: Action {
        switch self {
        case .addIntegration, .editIntegration, .reconnectIntegration, .removeIntegration: .manageIntegrations
        case .switchIntegration: .switchIntegration
        case .sync: .sync
        case .addMember, .setRole, .removeMember: .manageMembers
        case .addTarget: .manageTargets
        case .listIntegrations, .showHistory, .readAudit: .read
        }
    }

    /// The outcome when the role permits the operation: nil for success, else the error kind of the first
    /// check after the permission check.
    var allowedOutcome: ConnectorError.Kind? {
        switch self {
        case .addIntegration: .alreadyExists
        case .editIntegration: .invalidInput
        case .reconnectIntegration, .removeIntegration, .switchIntegration, .sync, .setRole, .removeMember: .notFound
        case .addMember, .addTarget, .listIntegrations, .showHistory, .readAudit: nil
        }
    }

    /// Runs the operation as `actor` on a home with the integration `seeded`.
    func run(on connector: Connector, as actor: String) async throws {
        let missingAPI = try TargetName(kind: .api, parsing: "shop/missing@v1")
        switch self {
        case .addIntegration:
            let spec = IntegrationSpec(
                name: "seeded", platform: .github, baseURL: "https://localhost:9/github", repository: "acme/specs",
                branch: "main", folder: "")
            _ = try await connector.addIntegration(spec, token: AccessToken(secret: Secret("unused")), as: actor)
        case .editIntegration:
            _ = try await connector.reviewEdit(named: "seeded", changes: IntegrationChanges(branch: "bad..branch"), as: actor)
        case .reconnectIntegration:
            _ = try await connector.reviewReconnect(named: "missing", token: Secret("unused"), as: actor)
        case .removeIntegration:
            try await connector.removeIntegration(named: "missing", as: actor)
        case .switchIntegration:
            _ = try await connector.switchTarget(missingAPI, to: "seeded", as: actor)
        case .sync:
            let file = SyncFile(path: "a.yaml", contents: Array("openapi: 3.1.0\n".utf8))
            _ = try await connector.sync(missingAPI, files: [file], message: nil, as: actor)
        case .addMember:
            try await connector.addMember(Lab.uniqueName("new"), role: .viewer, as: actor)
        case .setRole:
            try await connector.setRole(of: "nobody", to: .viewer, as: actor)
        case .removeMember:
            try await connector.removeMember("nobody", as: actor)
        case .addTarget:
            try await connector.addTarget(try TargetName(kind: .api, parsing: Lab.uniqueName("shop") + "/orders@v1"), as: actor)
        case .listIntegrations:
            _ = try await connector.integrations(as: actor)
        case .showHistory:
            _ = try await connector.stateHistory(named: "seeded", as: actor)
        case .readAudit:
            _ = try await connector.auditEntries(limit: 10, as: actor)
        }
    }
}

@Suite("Permission matrix")
struct PermissionMatrixTests {
    @Test("role permits or rejects operation", arguments: Role.allCases, GuardedOperation.allCases)
    func roleAndOperation(role: Role, operation: GuardedOperation) async throws {
        let home = try await OfflineHome()
        try home.seedIntegration("seeded")
        let actor = role == .owner ? home.owner : "member-\(role.rawValue)"
        if role != .owner {
            try await home.connector.addMember(actor, role: role, as: home.owner)
        }
        let permitted = operation.action.allowedRoles.contains(role)

        var thrown: ConnectorError?
        do {
            try await operation.run(on: home.connector, as: actor)
        } catch let error as ConnectorError {
            thrown = error
        }

        if permitted {
            #expect(thrown?.kind == operation.allowedOutcome, "\(thrown?.message ?? "no error")")
        } else {
            let error = try #require(thrown)
            #expect(error.kind == .permissionDenied)
            let allowed = operation.action.allowedRoles.map(\.rawValue).joined(separator: ", ")
            #expect(error.message.contains("roles that may: \(allowed)"), "\(error.message)")
        }
    }

    @Test("matrix matches the documented roles")
    func documentedRoles() {
        #expect(Action.switchIntegration.allowedRoles == [.owner, .admin, .reviewer])
        #expect(Action.manageIntegrations.allowedRoles == [.owner, .admin])
        #expect(Action.sync.allowedRoles == [.owner, .admin, .reviewer, .editor])
        #expect(Action.read.allowedRoles == Role.allCases)
        #expect(Action.manageMembers.allowedRoles == [.owner, .admin])
    }

    @Test("non-member is rejected")
    func nonMemberRejected() async throws {
        let home = try await OfflineHome()
        await #expect {
            _ = try await home.connector.integrations(as: "stranger")
        } throws: { error in
            (error as? ConnectorError)?.kind == .permissionDenied
        }
    }

    @Test("last owner stays an owner")
    func lastOwnerKept() async throws {
        let home = try await OfflineHome()
        try await home.connector.addMember("ada", role: .admin, as: home.owner)

        for change in [
            { try await home.connector.setRole(of: home.owner, to: .admin, as: "ada") },
            { try await home.connector.removeMember(home.owner, as: "ada") },
        ] as [@Sendable () async throws -> Void] {
            await #expect(throws: ConnectorError.self) { try await change() }
        }
        let members = try await home.connector.members(as: home.owner)
        #expect(members.first { $0.login == home.owner }?.role == "owner")

        try await home.connector.setRole(of: "ada", to: .owner, as: home.owner)
        try await home.connector.setRole(of: home.owner, to: .viewer, as: "ada")
        let after = try await home.connector.members(as: "ada")
        #expect(after.first { $0.login == home.owner }?.role == "viewer")
    }
}
