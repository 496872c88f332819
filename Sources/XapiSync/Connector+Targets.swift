import Foundation
import XapiCore
import XapiPlatforms
public import XapiStore

/// An API version or model with the integration it syncs to and its last sync.
public struct TargetView: Sendable {
    public let name: TargetName
    public let integration: IntegrationRecord?
    public let lastSync: SyncRecord?
}

extension Connector {
    /// Adds an API version or model that can then be switched to an integration and synced.
    public func addTarget(_ name: TargetName, as actor: String) async throws {
        try await write { writer in
            try self.authorize(actor, for: .manageTargets, in: writer)
            if try writer.target(kind: name.kind.rawValue, name: name.description) != nil {
                throw ConnectorError(.alreadyExists, "\(name.kind.rawValue) '\(name)' already exists")
            }
            _ = try writer.addTarget(kind: name.kind.rawValue, name: name.description)
            try writer.appendAudit(actor: actor, action: "\(name.kind.rawValue).add", subject: name.description, before: nil, after: nil)
        }
    }

    /// Makes the integration named `integrationName` the one `name` syncs to, after verifying that its
    /// token may push. An expired integration or one that cannot push is refused. A branch that does not
    /// exist yet is accepted when the token may push, because the first sync creates it (on an empty
    /// repository, or with `--create-branch`).
    public func switchTarget(_ name: TargetName, to integrationName: String, as actor: String) async throws -> TargetView {
        let (selected, record, token) = try await read { reader in
            try self.authorize(actor, for: .switchIntegration, in: reader)
            let selected = try self.requireTarget(name, in: reader)
            let record = try self.requireIntegration(integrationName, in: reader)
            return (selected, record, try reader.token(for: record))
        }
        try await refuseIfExpired(record)

        let report = try await verify(record, token: token)
        let branchToCreate = report.status == .branchNotFound && report.canPush != false
        guard report.permitsSync || branchToCreate else {
            let kind = ConnectorError.Kind.failedVerification(report, storedToken: true)
            throw ConnectorError(
                kind,
                "\(name) was not switched to '\(record.name)': \(report.detail)"
                    + (report.tokenIsDead ? " Reconnect it with `xapi-git integration reconnect \(record.name)`." : ""),
                report: report
            )
        }

        try await write { writer in
            let previous = try selected.integrationID.flatMap { try writer.integration(id: $0) }
            try writer.selectIntegration(targetID: selected.id, integrationID: record.id)
            try writer.appendAudit(
                actor: actor,
                action: "\(name.kind.rawValue).switch",
                subject: name.description,
                before: previous.map { ["integration": $0.name] },
                after: ["integration": record.name]
            )
        }
        return try await target(name, as: actor)
    }

    /// The API version or model `name` with its integration and last sync.
    public func target(_ name: TargetName, as actor: String) async throws -> TargetView {
        try await read { reader in
            try self.authorize(actor, for: .read, in: reader)
            let target = try self.requireTarget(name, in: reader)
            let integration = try target.integrationID.flatMap { try reader.integration(id: $0) }
            // The last sync that pushed a commit, so that an unchanged sync after it does not hide the commit.
            let recent = try reader.syncs(targetID: target.id, limit: 100)
            let lastSync = recent.first { $0.commitID != nil } ?? recent.first
            return TargetView(name: name, integration: integration, lastSync: lastSync)
        }
    }

    func requireTarget(_ name: TargetName, in reader: StoreReader) throws -> TargetRecord {
        guard let target = try reader.target(kind: name.kind.rawValue, name: name.description) else {
            throw ConnectorError(
                .notFound,
                "\(name.kind.rawValue) '\(name)' does not exist; add it with `xapi-git \(name.kind.rawValue) add \(name)`"
            )
        }
        return target
    }

    /// Throws `.integrationExpired` when the stored state or expiry shows that the token is no longer usable.
    func refuseIfExpired(_ record: IntegrationRecord) async throws {
        let expiredByDate = record.expiresAt.map { $0 <= configuration.now() } ?? false
        guard record.state == .expired || expiredByDate else { return }
        if expiredByDate && record.state != .expired {
            try await write { writer in
                try writer.recordState(
                    id: record.id,
                    state: .expired,
                    detail: "the token expired",
                    credentialVersion: record.credentialVersion,
                    at: Date()
                )
            }
        }
        throw ConnectorError(
            .integrationExpired,
            "integration '\(record.name)' has expired: \(expiredByDate ? "its token expired" : record.stateDetail) "
                + "Reconnect it with a new token: `xapi-git integration reconnect \(record.name) --token-stdin`"
        )
    }
}
